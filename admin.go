package ccd

import "context"

// ConfigKind names a kind of item of the live configuration.
type ConfigKind = string

// The items an administrator changes while ccd runs.
const (
	ConfigQueue    ConfigKind = "queue"
	ConfigAgent    ConfigKind = "agent"
	ConfigGroup    ConfigKind = "group"
	ConfigRoute    ConfigKind = "route"
	ConfigActivity ConfigKind = "activity"
	ConfigFlow     ConfigKind = "flow"
	ConfigSwitch   ConfigKind = "switch"
)

// ConfigKinds are every kind, in the order of the file.
var ConfigKinds = []ConfigKind{ConfigQueue, ConfigAgent, ConfigGroup, ConfigRoute, ConfigActivity, ConfigFlow, ConfigSwitch}

// What a config.changed event says happened.
const (
	ConfigCreated  = "created"
	ConfigUpdated  = "updated"
	ConfigDeleted  = "deleted"
	ConfigSeeded   = "seeded"   // the file filled an empty database at start
	ConfigImported = "imported" // ccd config import replaced the database's
)

// ConfigAdmin reads and changes the live configuration: queues, agents
// (with their skills and levels), groups, routes and activity codes. An
// item is a JSON object with the keys of the file (ccd.yaml). A change is
// validated as a whole (EINVALID naming the item's key at fault; ECONFLICT
// when it would break another item, such as a route naming a removed
// queue), stored, applied to the running ACD at once, and audited in the
// event log (EventConfigChanged). Unknown items are ENOTFOUND.
type ConfigAdmin interface {
	ConfigItems(ctx context.Context, kind ConfigKind) ([]map[string]any, error)
	ConfigItem(ctx context.Context, kind ConfigKind, id string) (map[string]any, error)
	// PutConfigItem creates or replaces the item id of kind from body; the
	// body may leave the id out.
	PutConfigItem(ctx context.Context, who Principal, kind ConfigKind, id string, body []byte) (item map[string]any, created bool, err error)
	DeleteConfigItem(ctx context.Context, who Principal, kind ConfigKind, id string) error
	// ConfigItemVersion is ConfigItem with the item's version: an opaque
	// quoted text (an HTTP entity tag) that changes with every change of
	// the item.
	ConfigItemVersion(ctx context.Context, kind ConfigKind, id string) (item map[string]any, version string, err error)
	// PutConfigItemIf is PutConfigItem made only while the item's version
	// is one of ifMatch (an If-Match header: entity tags separated by
	// commas, or * for any version); otherwise ECONFLICT, so that of two
	// administrators editing the same item the second does not silently
	// overwrite the first. An empty ifMatch puts unconditionally. It
	// returns the item's new version.
	PutConfigItemIf(ctx context.Context, who Principal, kind ConfigKind, id, ifMatch string, body []byte) (item map[string]any, version string, created bool, err error)
	// DeleteConfigItemIf is DeleteConfigItem under the same condition.
	DeleteConfigItemIf(ctx context.Context, who Principal, kind ConfigKind, id, ifMatch string) error
	// SetSkill sets one skill level (1..10) of an agent; level 0 removes the
	// skill.
	SetSkill(ctx context.Context, who Principal, agent, skill string, level int) (map[string]any, error)
}
