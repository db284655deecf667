package job

// SetStageRows lets tests make the rebuild write as it goes after a few rows.
func SetStageRows(n int) (restore func()) {
	old := stageRows
	stageRows = n
	return func() { stageRows = old }
}
