package stats

// Op says how two partial values of a column combine: the live aggregator adds a
// quarter-hour's new facts to the row already stored, and a rebuild folds all of
// them at once; both must give the same row.
type Op uint8

const (
	Sum Op = iota // counts and totals
	Min           // smallest single value; NULL when there was none
	Max           // largest single value; NULL when there was none
)

// Column is one measure of a table, named as in Optimus, lower-cased.
type Column struct {
	Name string
	Op   Op
}

// Key columns a quarter-hour table can have besides thedate. Each table uses a
// fixed subset; see Table.Keys.
const (
	KeyUser       = "usercode"     // an agent
	KeyActivity   = "activitycode" // a not-ready activity
	KeyDevice     = "devicecode"   // a queue, DNIS, agent or extension, with KeyDeviceType
	KeyDeviceType = "devicetype"
	KeyTimeType   = "timetype"
	KeyTimeFrame  = "timeframe"
	KeyExtension  = "extension"
	KeyBlockID    = "blockid"
	KeyCampaign   = "campaignid" // a dialer campaign's own id (dialer.campaign), no stat.code
	// KeyDispositionOption is a disposition option's own id
	// (dialer.disposition_option), no stat.code.
	KeyDispositionOption = "dispositionoptionid"
)

// Device types (Optimus DeviceType). 2 and 3 are the seed's; 1 and 4 type the
// agent and extension histograms of DeviceTimes; 11 and 12 are RouterStat's.
const (
	DevAgent       = 1
	DevDNIS        = 2
	DevQueue       = 3
	DevExtension   = 4
	DevRouter      = 11
	DevRouterBlock = 12
)

// Table describes a quarter-hour table of schema stat.
type Table struct {
	Name string
	Keys []string // besides thedate, in primary-key order
	Cols []Column
}

// TableID indexes Tables.
type TableID uint8

const (
	AgentActivityStat TableID = iota
	AgentByDeviceStat
	AgentStat
	DeviceStat
	DeviceTimes
	ExtensionStat
	RouterStat
	CampaignStat
	CampaignDispositionStat
	numTables
)

// minSumMax expands "RingTime" into MinRingTime, SumRingTime, MaxRingTime.
func minSumMax(names ...string) []Column {
	var out []Column
	for _, n := range names {
		out = append(out, Column{"min" + n, Min}, Column{"sum" + n, Sum}, Column{"max" + n, Max})
	}
	return out
}

func sums(names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{n, Sum}
	}
	return out
}

func cols(parts ...[]Column) []Column {
	var out []Column
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// pbxColumns are the columns AgentStat and ExtensionStat share: calls ccd only
// observes (000 §5.3.3 and §5.3.7), in the seed's order.
var pbxCounts = sums("intdialed", "intansweredto", "extdialed", "extansweredto",
	"inoffered", "inanswered", "inabandoned", "exoffered", "exanswered", "exabandoned")

// Tables is every quarter-hour table, indexed by TableID. Column names and order
// are the seed's (000 §5.3), lower-cased.
var Tables = [numTables]Table{
	AgentActivityStat: {
		Name: "agentactivitystat",
		Keys: []string{KeyUser, KeyActivity},
		Cols: sums("activitytime"),
	},
	AgentByDeviceStat: {
		Name: "agentbydevicestat",
		Keys: []string{KeyUser, KeyDevice, KeyDeviceType},
		Cols: cols(sums("acdoffered", "acdanswered", "acdrecalled", "acdabdringing"),
			minSumMax("ringtime", "acdtalktime"), sums("holdcount"), minSumMax("holdtime", "wrapuptime")),
	},
	AgentStat: {
		Name: "agentstat",
		Keys: []string{KeyUser},
		Cols: cols(sums("logintime", "readytime", "notreadytime", "idletime",
			"acdoffered", "acdanswered", "acdrecalled", "acdabdringing"),
			pbxCounts, sums("holdcount"),
			minSumMax("holdtime", "acdcallstalktime", "inintcallstalktime", "inextcallstalktime",
				"outintcallstalktime", "outextcallstalktime", "ringtime", "acwtime",
				"outintgooddialtime", "outintbaddialtime", "outextgooddialtime", "outextbaddialtime",
				"idleoffhooktime")),
	},
	DeviceStat: {
		Name: "devicestat",
		Keys: []string{KeyDevice, KeyDeviceType},
		Cols: cols(sums("offered", "answered", "abandoned", "abdringing", "overflowedqueue", "overflowedtime",
			"overflowedlogin", "backflowed", "inflowed", "tran2def", "retfromagent", "offeredcb", "endedinivr"),
			minSumMax("answertime", "abdtime", "ringtime", "talktime"), sums("holdcount"),
			minSumMax("holdtime", "acwtime"), sums("logincount", "sumlogintime", "sumreadytime", "sumnotreadytime")),
	},
	DeviceTimes: {
		Name: "devicetimes",
		Keys: []string{KeyDevice, KeyDeviceType, KeyTimeType, KeyTimeFrame},
		Cols: sums("amount"),
	},
	ExtensionStat: {
		Name: "extensionstat",
		Keys: []string{KeyExtension},
		Cols: cols(sums("inoffered", "inanswered", "inabandoned", "exoffered", "exanswered", "exabandoned",
			"intdialed", "intansweredto", "extdialed", "extansweredto", "holdcount"),
			minSumMax("holdtime", "inintcallstalktime", "inextcallstalktime", "outintcallstalktime",
				"outextcallstalktime", "outintgooddialtime", "outintbaddialtime", "outextgooddialtime",
				"outextbaddialtime", "inintcallsringtime", "inextcallsringtime", "idleoffhooktime")),
	},
	RouterStat: {
		Name: "routerstat",
		Keys: []string{KeyExtension, KeyDeviceType, KeyDevice, KeyBlockID},
		// BlockType is the node's kind (BlockTypes), NULL on a flow's row: it
		// is no measure, but a node keeps its kind, so the largest is it.
		Cols: cols([]Column{{"blocktype", Max}}, sums("offered", "answered", "abandoned"), minSumMax("answertime", "abdtime")),
	},
	// CampaignStat is ccd's own (Optimus has no such table): the dialer's
	// attempts of a campaign and how they ended, counted in the quarter-hour
	// of the placement (attempts) or of the result (the rest). The abandon
	// rate is abandoned / answered_human of any span, which is why both are
	// sums and the rate itself is not stored. TalkTime is the seconds the
	// ACD had the campaign's calls connected to agents (first answer to the
	// end), counted when the call ended.
	CampaignStat: {
		Name: "campaignstat",
		Keys: []string{KeyCampaign},
		Cols: sums("attempts", "answered_human", "answered_machine", "no_answer", "busy", "congestion",
			"failed", "abandoned", "talktime"),
	},
	// CampaignDispositionStat is ccd's own too: the dispositions agents set
	// per campaign and option (dialer.disposition_option), counted in the
	// quarter-hour they were set; a changed disposition counts again under
	// its new option.
	CampaignDispositionStat: {
		Name: "campaigndispositionstat",
		Keys: []string{KeyCampaign, KeyDispositionOption},
		Cols: sums("dispositions"),
	},
}

// Time types of DeviceTimes (000 §5.3.6).
const (
	TTAgentACDTalk     = 1
	TTAgentInIntTalk   = 2
	TTAgentInExtTalk   = 3
	TTDNISTalk         = 4
	TTQueueTalk        = 5
	TTAgentOutIntTalk  = 6
	TTAgentOutExtTalk  = 7
	TTDNISAnswerWait   = 10
	TTDNISAbandonWait  = 11
	TTQueueAnswerWait  = 12
	TTQueueAbandonWait = 13
	TTExtInIntTalk     = 20
	TTExtInExtTalk     = 21
	TTExtOutIntTalk    = 22
	TTExtOutExtTalk    = 23

	timeFrameSeconds = 2
)

// TimeFrame is the DeviceTimes frame of a duration in seconds: frames are two
// seconds wide and named by their upper bound (4 holds 3 and 4; 0 holds 0).
func TimeFrame(seconds int64) int64 {
	if seconds <= 0 {
		return 0
	}
	return (seconds + timeFrameSeconds - 1) / timeFrameSeconds * timeFrameSeconds
}

// ColumnIndex returns the position of a column in t.Cols, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// TableByName finds a table by its lower-cased Optimus name.
func TableByName(name string) (TableID, bool) {
	for i := range Tables {
		if Tables[i].Name == name {
			return TableID(i), true
		}
	}
	return 0, false
}
