package daemon

import (
	"context"
	"time"

	"github.com/ccdhq/ccd/config"
	dflow "github.com/ccdhq/ccd/dialplan/flow"
)

// soundCheck refuses a flow saved through the admin API that names a sound
// or recording Asterisk does not have (dflow.Sounds), and checks again the
// flows saved while Asterisk was away once it is back. Without the acd role
// there is no Asterisk to ask: flows are checked by their form only.
type soundCheck struct {
	w      *wiring
	sounds *dflow.Sounds
	tasks  tasks
}

// newSoundCheck also mounts the sound upload (PUT /api/admin/sounds/:name)
// with the REST interfaces: uploads go to recordings.dir, Asterisk's
// recording directory, where the check finds them as stored recordings.
func newSoundCheck(w *wiring) component {
	if w.cfg.Runs(config.RoleAPI) {
		w.srv.MountSounds(w.cfg.Recordings.Dir, w.log.With("part", "sounds"))
	}
	return &soundCheck{w: w}
}

func (s *soundCheck) Name() string { return "sound check" }

// soundRecheck is how often flows saved without Asterisk are looked at.
const soundRecheck = 5 * time.Second

func (s *soundCheck) Start(ctx context.Context) error {
	if s.w.acd == nil || s.w.live == nil || s.w.live.mgr == nil {
		return nil
	}
	s.sounds = &dflow.Sounds{ARI: s.w.acd.link.client, Log: s.w.log.With("part", "sounds")}
	s.w.live.mgr.SetVetter(s.sounds.Vet)
	s.tasks.goRun(ctx, func(ctx context.Context) {
		t := time.NewTicker(soundRecheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if s.sounds.Pending() {
					s.sounds.Recheck(ctx, s.w.live.mgr.Current().Flows)
				}
			}
		}
	})
	return nil
}

func (s *soundCheck) Close(context.Context) error {
	s.tasks.stop()
	return nil
}
