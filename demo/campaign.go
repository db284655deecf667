package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialer"
	ddialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/store"
)

// CampaignTargets is how many numbers the demo's campaign calls.
const CampaignTargets = 300

// campaignQueue is the demo queue whose agents take the campaign's calls.
const campaignQueue = "support"

// dialEndpoint is how the demo's dialer reaches a number: a simulated
// phone per number, with the behaviour outcomeOf gave it.
const dialEndpoint = "PJSIP/{number}"

// The shares of outcomes of a real outbound list, roughly: most numbers
// answer, a good part rings out, some are busy, a few are machines.
var outcomeShares = []struct {
	share float64
	what  string
}{{0.55, "person"}, {0.10, "machine"}, {0.25, "no answer"}, {0.10, "busy"}}

// outcomeOf picks what a generated number does when dialled.
func outcomeOf(r *rand.Rand) string {
	x := r.Float64()
	for _, o := range outcomeShares {
		if x < o.share {
			return o.what
		}
		x -= o.share
	}
	return outcomeShares[0].what
}

// behaviorOf is the simulated phone of an outcome.
func behaviorOf(outcome string, r *rand.Rand) aritest.Behavior {
	ring := time.Duration(1000+r.IntN(3000)) * time.Millisecond
	switch outcome {
	case "no answer":
		// The network gives up before the campaign's ring timeout, so
		// the demo's few agents see more calls.
		return aritest.Behavior{Action: aritest.EndpointFail, Delay: 4 * ring, Cause: 19, DialStatus: "NOANSWER"}
	case "busy":
		return aritest.Behavior{Action: aritest.EndpointBusy, Delay: ring / 2}
	default:
		return aritest.Behavior{Action: aritest.EndpointAnswer, Delay: ring}
	}
}

// addCampaign turns the dialer on against the simulation and stores a
// progressive campaign, open all day, with generated targets whose
// simulated phones answer as a person or a machine, ring out or are busy.
// A quiet demo's campaign is stopped: the caller starts it if it wants.
func (d *Demo) addCampaign(ctx context.Context, db *store.DB, cfg *config.Config, quiet bool) error {
	cfg.Dialer.DialEndpoint = dialEndpoint
	machines := map[string]bool{}
	// A fixed seed: every demo calls the same list with the same outcomes.
	r := rand.New(rand.NewPCG(15, 15))
	c := dialer.Campaign{Name: "Renewals (demo)", QueueCode: campaignQueue, Mode: "progressive", IsActive: !quiet,
		WindowStart: "00:00", WindowEnd: "23:59", RetryNumber: 2, CallerID: "5550100"}.WithDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	id, err := db.CreateCampaign(ctx, c)
	if err != nil {
		return err
	}
	d.CampaignID = id
	for i := range CampaignTargets {
		number := fmt.Sprintf("555%04d", 7000+i)
		outcome := outcomeOf(r)
		machines[number] = outcome == "machine"
		d.Sim.SetEndpoint("PJSIP/"+number, behaviorOf(outcome, r))
		t := dialer.Target{CampaignID: id, FirstName: agentNames[i%len(agentNames)], PhoneI: number, Priority: 2,
			DataI: fmt.Sprintf("contract-%d", 40000+i)}
		if _, err := db.AddTarget(ctx, t); err != nil {
			return fmt.Errorf("demo target %s: %w", number, err)
		}
	}
	// AMD() in the simulated dialplan: the machines' numbers are machines.
	d.Sim.AddContext(cfg.Dialer.AMDContext, func(ch ari.Channel, _ map[string]string) aritest.DialplanStep {
		status, cause := "HUMAN", "HUMAN-300-300"
		if machines[numberOf(ch.Name)] {
			status, cause = "MACHINE", "MAXWORDS-4-4"
		}
		return aritest.DialplanStep{Delay: 1500 * time.Millisecond, Vars: [][2]string{{"AMDSTATUS", status}, {"AMDCAUSE", cause}},
			App: cfg.ARI.Application, Args: []string{ddialer.Entry, ddialer.AMDArg}}
	})
	return nil
}

// numberOf is the number in a channel name like PJSIP/5557001-00000001.
func numberOf(channel string) string {
	s := strings.TrimPrefix(channel, "PJSIP/")
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		s = s[:i]
	}
	return s
}
