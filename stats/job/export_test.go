package job

import (
	"context"
	"time"
)

// SetStageRows lets tests make the rebuild write as it goes after a few rows.
func SetStageRows(n int) (restore func()) {
	old := stageRows
	stageRows = n
	return func() { stageRows = old }
}

// SetWallClock makes rebuilds account open states up to now() instead of the
// wall clock.
func SetWallClock(now func() time.Time) (restore func()) {
	old := wallClock
	wallClock = now
	return func() { wallClock = old }
}

// StepOnce folds one batch, as each round of Step does.
func (l *Live) StepOnce(ctx context.Context) (int, error) { return l.step(ctx) }
