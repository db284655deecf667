// Command dialerpacing runs the pacing comparison of dialer/sim and prints it
// as a Markdown table: progressive 1.0, power 2.0, a VICIdial-style adaptive
// controller and ccd's predictive mode, with 10, 50 and 200 agents, over
// simulated days whose answer rate drifts between 20 and 40 %.
//
//	go run ./bench/dialerpacing [-hours 24] [-seed 1] [-agents 10,50,200] [-hourly]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd/dialer/sim"
)

func main() {
	hours := flag.Int("hours", 24, "simulated hours per run")
	seed := flag.Uint64("seed", 1, "random seed")
	agentList := flag.String("agents", "10,50,200", "team sizes, comma separated")
	hourly := flag.Bool("hourly", false, "also print every run hour by hour")
	flag.Parse()
	var rows []sim.Row
	for _, a := range strings.Split(*agentList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "-agents: %q is not a team size\n", a)
			os.Exit(2)
		}
		for _, c := range sim.Contenders() {
			r := sim.Run(sim.Config{Seed: *seed, Agents: n, Hours: *hours}, c.New())
			rows = append(rows, sim.Row{Name: c.Name, Result: r})
		}
	}
	sim.WriteTable(os.Stdout, rows)
	if *hourly {
		for _, r := range rows {
			fmt.Println()
			sim.WriteHours(os.Stdout, r)
		}
	}
}
