package stats

import (
	"encoding/json"
	"strconv"

	"github.com/ccdhq/ccd/acd"
)

func unmarshalData(b []byte, d *acd.Data) error { return json.Unmarshal(b, d) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
