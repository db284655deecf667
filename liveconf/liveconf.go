// Package liveconf is the ACD's live configuration: queues, agents (with
// their skills, groups, endpoints and passwords), groups, routes and
// activity codes, kept in PostgreSQL (acd_config) and changed by an
// administrator while ccd runs. The acd section of ccd.yaml seeds an empty
// database; from then on the database is the truth.
//
// A change is validated as a whole with the file's own rules, applied to
// the running queue application at once, and stored with its audit event
// (ccd.EventConfigChanged) in one transaction; a change the database does
// not take is undone on the running side. Every ccd on the database
// follows the changes the others make (Follow). The agent interfaces check agents' passwords
// and endpoints against it, so an agent added by the admin logs in at once.
package liveconf

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/flow"
	"github.com/ccdhq/ccd/store"
	"golang.org/x/crypto/bcrypt"
)

// Store is where the live configuration is kept (store.DB).
type Store interface {
	ACDConfig(ctx context.Context) ([]store.ConfigItem, error)
	// The writes take the audit event of the change, which they append to
	// the event log in the change's transaction.
	SeedACDConfig(ctx context.Context, items func() ([]store.ConfigItem, error), audit eventlog.Event) (bool, error)
	PutACDConfig(ctx context.Context, kind, id string, item json.RawMessage, audit eventlog.Event) error
	DeleteACDConfig(ctx context.Context, kind, id string, audit eventlog.Event) error
}

// Applier makes a configuration the running one (the queue application's
// Apply); it refuses only what validation already refuses.
type Applier func(ctx context.Context, acd config.ACD) error

// Vetter checks a change made through the API against what the
// configuration cannot know (the sounds on Asterisk) before anything is
// stored: index is the changed item's in next's list of kind. Its
// *config.Error problems refuse the change as validation's do. It is not
// run on what the database already holds (Load, Reload): what was saved
// stays loadable.
type Vetter func(ctx context.Context, next *config.ACD, kind ccd.ConfigKind, index int) error

// SetVetter makes v vet every change made through the API from now on.
func (m *Manager) SetVetter(v Vetter) {
	m.change.Lock()
	defer m.change.Unlock()
	m.vet = v
}

// Manager holds the live configuration. It is safe for concurrent use;
// changes are made one at a time.
type Manager struct {
	apply Applier
	vet   Vetter // nil: nothing beyond validation
	log   *slog.Logger
	now   func() time.Time

	change sync.Mutex // one change at a time, from validation to audit
	mu     sync.RWMutex
	base   config.ACD // the file's acd section: its keys that are not lists stay
	cur    config.ACD
	policy *endpoints.Policy
	db     Store // nil until Load: changes wait for the database
	// changed hears every configuration that became the running one (the
	// statistics' names and queue membership follow it).
	changed func(config.ACD)
}

// OnChange makes f hear every configuration that becomes the running one,
// from Load on; f runs within the change, one at a time. Call it before
// Load.
func (m *Manager) OnChange(f func(config.ACD)) {
	m.change.Lock()
	defer m.change.Unlock()
	m.changed = f
}

func (m *Manager) notify(c config.ACD) {
	if m.changed != nil {
		m.changed(c)
	}
}

// New starts from the file's acd section, which serves until Load reads the
// database.
func New(file config.ACD, apply Applier, log *slog.Logger) (*Manager, error) {
	if log == nil {
		log = slog.Default()
	}
	m := &Manager{apply: apply, log: log.With("component", "liveconf"), now: time.Now, base: file}
	if err := m.set(file); err != nil {
		return nil, err
	}
	return m, nil
}

// set makes c the current configuration (with m.mu held by the caller or
// before anyone else has m).
func (m *Manager) set(c config.ACD) error {
	policy, err := c.EndpointPolicy()
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.cur, m.policy = c, policy
	m.mu.Unlock()
	return nil
}

// Load seeds an empty database with the file's items, reads the live
// configuration and applies it. Until it has run, the file's configuration
// is the running one and changes are refused as unavailable.
func (m *Manager) Load(ctx context.Context, db Store) error {
	m.change.Lock()
	defer m.change.Unlock()
	seeded, err := db.SeedACDConfig(ctx, func() ([]store.ConfigItem, error) { return Items(m.base) },
		m.auditEvent(ccd.ConfigChange{Action: ccd.ConfigSeeded, By: "file"}))
	if err != nil {
		return err
	}
	if seeded {
		m.log.Info("the database had no live configuration: seeded it from the file's acd section")
	}
	items, err := db.ACDConfig(ctx)
	if err != nil {
		return err
	}
	next, err := FromItems(m.base, items)
	if err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return fmt.Errorf("liveconf: the configuration in the database is not valid: %w", err)
	}
	if err := m.apply(ctx, next); err != nil {
		return err
	}
	if err := m.set(next); err != nil {
		return err
	}
	m.mu.Lock()
	m.db = db
	m.mu.Unlock()
	m.notify(next)
	return nil
}

// Reload reads the configuration in the database and makes it the
// running one when it differs: a change made through another ccd on the
// same database. It tells whether it applied anything. A configuration
// that does not validate, or that the running side refuses, is reported
// and the running one stays.
func (m *Manager) Reload(ctx context.Context) (bool, error) {
	m.change.Lock()
	defer m.change.Unlock()
	m.mu.RLock()
	db, cur := m.db, m.cur
	m.mu.RUnlock()
	if db == nil {
		return false, errNotLoaded
	}
	items, err := db.ACDConfig(ctx)
	if err != nil {
		return false, err
	}
	next, err := FromItems(m.base, items)
	if err != nil {
		return false, err
	}
	if same(cur, next) {
		return false, nil
	}
	if err := next.Validate(); err != nil {
		return false, fmt.Errorf("liveconf: the configuration in the database is not valid: %w", err)
	}
	if err := m.apply(ctx, next); err != nil {
		return false, err
	}
	if err := m.set(next); err != nil {
		return false, err
	}
	m.notify(next)
	return true, nil
}

// Follow keeps the running configuration the database's until ctx ends:
// it reloads at every value of changes (store.DB.Listen: a change
// committed by any ccd, or a reconnection after which one may have been
// missed) and, as a safety net, every interval whatever changes says. A
// closed changes leaves the periodic reload.
func (m *Manager) Follow(ctx context.Context, changes <-chan struct{}, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
		case <-tick.C:
		}
		switch changed, err := m.Reload(ctx); {
		case err != nil && ctx.Err() == nil:
			m.log.Error("cannot apply the live configuration changed in the database; the running one stays", "err", err)
		case changed:
			m.log.Info("the live configuration changed in the database: applied")
		}
	}
}

// same tells whether two configurations have the same items, compared as
// the database keeps them (an item decoded from the database and one made
// by a change differ in nil and empty lists and maps, not in meaning).
func same(a, b config.ACD) bool {
	for _, name := range ccd.ConfigKinds {
		k := kinds[name]
		la, lb := k.of(&a), k.of(&b)
		if la.Len() != lb.Len() {
			return false
		}
		for i := 0; i < la.Len(); i++ {
			ja, erra := json.Marshal(config.EncodeItem(la.Index(i).Interface()))
			jb, errb := json.Marshal(config.EncodeItem(lb.Index(i).Interface()))
			if erra != nil || errb != nil || string(ja) != string(jb) {
				return false
			}
		}
	}
	return true
}

var errNotLoaded = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "the live configuration is not read from the database yet; retry"}

// Current is the live configuration's acd section.
func (m *Manager) Current() config.ACD {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cur
}

// ---- the kinds of items ----

// kind describes one kind of item: its list in config.ACD, its type and
// its id.
type kind struct {
	list    string // the list's Go field in config.ACD
	listKey string // ... and its key in the file
	idField string // the id's Go field in the item
	idKey   string // ... and its key
}

var kinds = map[ccd.ConfigKind]kind{
	ccd.ConfigQueue:    {"Queues", "queues", "Code", "code"},
	ccd.ConfigAgent:    {"Agents", "agents", "ID", "id"},
	ccd.ConfigGroup:    {"Groups", "groups", "Name", "name"},
	ccd.ConfigRoute:    {"Routes", "routes", "DNIS", "dnis"},
	ccd.ConfigActivity: {"Activities", "activities", "Code", "code"},
	ccd.ConfigFlow:     {"Flows", "flows", "Name", "name"},
	ccd.ConfigSwitch:   {"Switches", "switches", "Localnumber", "localnumber"},
}

func kindOf(name ccd.ConfigKind) (kind, error) {
	k, ok := kinds[name]
	if !ok {
		return kind{}, &ccd.Error{Code: ccd.ENOTFOUND, Message: "no kind of configuration item " + strconv.Quote(name)}
	}
	return k, nil
}

// list is the addressable list of k in c.
func (k kind) of(c *config.ACD) reflect.Value { return reflect.ValueOf(c).Elem().FieldByName(k.list) }

func (k kind) id(item reflect.Value) string { return item.FieldByName(k.idField).String() }

func (k kind) index(c *config.ACD, id string) int {
	l := k.of(c)
	for i := 0; i < l.Len(); i++ {
		if k.id(l.Index(i)) == id {
			return i
		}
	}
	return -1
}

// cloneLists copies c's lists, so that a change to the copy's lists leaves
// c alone (items are replaced whole, never changed in place).
func cloneLists(c config.ACD) config.ACD {
	c.Queues, c.Agents, c.Groups = slices.Clone(c.Queues), slices.Clone(c.Agents), slices.Clone(c.Groups)
	c.Routes, c.Activities = slices.Clone(c.Routes), slices.Clone(c.Activities)
	c.Flows, c.Switches = slices.Clone(c.Flows), slices.Clone(c.Switches)
	return c
}

// Items are the rows of a configuration for the database, in the file's
// order; agents' passwords become bcrypt hashes.
func Items(c config.ACD) ([]store.ConfigItem, error) {
	var out []store.ConfigItem
	for _, name := range ccd.ConfigKinds {
		k := kinds[name]
		l := k.of(&c)
		for i := 0; i < l.Len(); i++ {
			item := l.Index(i).Interface()
			if ag, ok := item.(config.Agent); ok {
				var err error
				if item, err = hashed(ag); err != nil {
					return nil, err
				}
			}
			raw, err := json.Marshal(config.EncodeItem(item))
			if err != nil {
				return nil, err
			}
			out = append(out, store.ConfigItem{Kind: name, ID: k.id(l.Index(i)), Position: int64(i + 1), Item: raw})
		}
	}
	return out, nil
}

// hashed replaces an agent's password by its bcrypt hash: only hashes are
// kept.
func hashed(ag config.Agent) (config.Agent, error) {
	if ag.Password == "" {
		return ag, nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(ag.Password), bcrypt.DefaultCost)
	if err != nil {
		return ag, fmt.Errorf("liveconf: hashing the password of agent %s: %w", ag.ID, err)
	}
	ag.Password, ag.PasswordHash = "", string(h)
	return ag, nil
}

// FromItems is the configuration of the database's rows: the file's keys
// that are not lists, and the rows' items in their order.
func FromItems(file config.ACD, items []store.ConfigItem) (config.ACD, error) {
	c := file
	c.Queues, c.Agents, c.Groups, c.Routes, c.Activities, c.Flows, c.Switches = nil, nil, nil, nil, nil, nil, nil
	slices.SortStableFunc(items, func(a, b store.ConfigItem) int { return int(a.Position - b.Position) })
	for _, it := range items {
		k, err := kindOf(it.Kind)
		if err != nil {
			return c, err
		}
		l := k.of(&c)
		v := reflect.New(l.Type().Elem())
		if err := config.DecodeItem(it.Item, v.Interface()); err != nil {
			return c, fmt.Errorf("liveconf: %s %q in the database: %w", it.Kind, it.ID, err)
		}
		l.Set(reflect.Append(l, v.Elem()))
	}
	return c, nil
}

// ---- reading ----

// ConfigItems implements ccd.ConfigAdmin.
func (m *Manager) ConfigItems(_ context.Context, name ccd.ConfigKind) ([]map[string]any, error) {
	k, err := kindOf(name)
	if err != nil {
		return nil, err
	}
	c := m.Current()
	l := k.of(&c)
	out := make([]map[string]any, l.Len())
	for i := range out {
		out[i] = masked(l.Index(i).Interface())
	}
	return out, nil
}

// ConfigItem implements ccd.ConfigAdmin.
func (m *Manager) ConfigItem(_ context.Context, name ccd.ConfigKind, id string) (map[string]any, error) {
	k, err := kindOf(name)
	if err != nil {
		return nil, err
	}
	c := m.Current()
	i := k.index(&c, id)
	if i < 0 {
		return nil, notFound(name, id)
	}
	return masked(k.of(&c).Index(i).Interface()), nil
}

// ConfigItemVersion implements ccd.ConfigAdmin.
func (m *Manager) ConfigItemVersion(_ context.Context, name ccd.ConfigKind, id string) (map[string]any, string, error) {
	k, err := kindOf(name)
	if err != nil {
		return nil, "", err
	}
	c := m.Current()
	i := k.index(&c, id)
	if i < 0 {
		return nil, "", notFound(name, id)
	}
	item := k.of(&c).Index(i).Interface()
	return masked(item), version(item), nil
}

// version is an item's entity tag: a hash of the item as the database
// keeps it (with an agent's password hash, so that a new password is a
// new version), the same in every ccd that follows the database.
func version(item any) string {
	raw, err := json.Marshal(config.EncodeItem(item))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// matches tells whether an If-Match header names version: one of its
// entity tags (weak ones compared by their value) or *.
func matches(ifMatch, version string) bool {
	for _, tag := range strings.Split(ifMatch, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == version {
			return true
		}
	}
	return false
}

// precondition refuses a change made from a version of the item that is
// no longer the current one (ifMatch is the version the change was made
// from; empty: none).
func precondition(name ccd.ConfigKind, id, ifMatch string, cur *config.ACD) error {
	if ifMatch == "" {
		return nil
	}
	k := kinds[name]
	i := k.index(cur, id)
	if i < 0 {
		return &ccd.Error{Code: ccd.ECONFLICT, Field: "If-Match", Message: name + " " + strconv.Quote(id) + " was removed since you read it"}
	}
	if !matches(ifMatch, version(k.of(cur).Index(i).Interface())) {
		return &ccd.Error{Code: ccd.ECONFLICT, Field: "If-Match",
			Message: name + " " + strconv.Quote(id) + " was changed by someone else since you read it: reload it and make your change again"}
	}
	return nil
}

func notFound(name ccd.ConfigKind, id string) error {
	return &ccd.Error{Code: ccd.ENOTFOUND, Message: "no " + name + " " + strconv.Quote(id)}
}

// masked is an item as the API shows it and the audit records it: an
// agent's password only as whether it has one, a lookup's DSN only as
// whether it is set (it may hold the customer database's password).
func masked(item any) map[string]any {
	out := config.EncodeItem(item)
	switch v := item.(type) {
	case config.Agent:
		delete(out, "password_hash")
		out["password"] = ""
		if v.Password != "" || v.PasswordHash != "" {
			out["password"] = secretMask
		}
		if v.SIPPassword != "" {
			out["sip_password"] = secretMask
		}
	case config.Route:
		if lk, ok := out["lookup"].(map[string]any); ok && v.Lookup.DSN != "" {
			lk["dsn"] = secretMask
		}
	}
	return out
}

// secretMask stands for a secret that is set.
const secretMask = "(set)"

// ---- changing ----

// validID is what a new item's id may be: its code is a Stasis argument,
// a URL path segment and a statistics name.
var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$`)

// PutConfigItem implements ccd.ConfigAdmin.
func (m *Manager) PutConfigItem(ctx context.Context, who ccd.Principal, name ccd.ConfigKind, id string, body []byte) (map[string]any, bool, error) {
	item, _, created, err := m.PutConfigItemIf(ctx, who, name, id, "", body)
	return item, created, err
}

// PutConfigItemIf implements ccd.ConfigAdmin.
func (m *Manager) PutConfigItemIf(ctx context.Context, who ccd.Principal, name ccd.ConfigKind, id, ifMatch string, body []byte) (map[string]any, string, bool, error) {
	k, err := kindOf(name)
	if err != nil {
		return nil, "", false, err
	}
	v := reflect.New(k.of(&config.ACD{}).Type().Elem())
	if err := config.DecodeItem(body, v.Interface()); err != nil {
		return nil, "", false, invalid(err)
	}
	item := v.Elem()
	if got := k.id(item); got != "" && got != id {
		return nil, "", false, ccd.Invalid(k.idKey, fmt.Sprintf("%q differs from the path's %q", got, id))
	}
	item.FieldByName(k.idField).SetString(id)
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(body, &keys)
	_, newPassword := keys["password"]
	_, newSIPPassword := keys["sip_password"]
	var created bool
	after, err := m.commit(ctx, who, name, id, func(next *config.ACD) (int, error) {
		if err := precondition(name, id, ifMatch, next); err != nil {
			return 0, err
		}
		i := k.index(next, id)
		created = i < 0
		if created && name != ccd.ConfigRoute && !validID.MatchString(id) {
			return 0, ccd.Invalid(k.idKey, "want letters, digits and _.@+- (at most 64, starting with a letter or digit)")
		}
		l := k.of(next)
		if ag, ok := item.Addr().Interface().(*config.Agent); ok && !created && !newPassword && ag.PasswordHash == "" {
			ag.PasswordHash = next.Agents[i].PasswordHash // a change that does not name the password keeps it
		}
		if ag, ok := item.Addr().Interface().(*config.Agent); ok && !created && !newSIPPassword && ag.SIPUser != "" {
			ag.SIPPassword = next.Agents[i].SIPPassword // ... and so the softphone's
		}
		if created {
			l.Set(reflect.Append(l, item))
			return l.Len() - 1, nil
		}
		l.Index(i).Set(item)
		return i, nil
	})
	return after.item, after.version, created, err
}

// DeleteConfigItem implements ccd.ConfigAdmin.
func (m *Manager) DeleteConfigItem(ctx context.Context, who ccd.Principal, name ccd.ConfigKind, id string) error {
	return m.DeleteConfigItemIf(ctx, who, name, id, "")
}

// DeleteConfigItemIf implements ccd.ConfigAdmin.
func (m *Manager) DeleteConfigItemIf(ctx context.Context, who ccd.Principal, name ccd.ConfigKind, id, ifMatch string) error {
	k, err := kindOf(name)
	if err != nil {
		return err
	}
	_, err = m.commit(ctx, who, name, id, func(next *config.ACD) (int, error) {
		if err := precondition(name, id, ifMatch, next); err != nil {
			return 0, err
		}
		i := k.index(next, id)
		if i < 0 {
			return 0, notFound(name, id)
		}
		l := k.of(next)
		l.Set(reflect.AppendSlice(l.Slice(0, i), l.Slice(i+1, l.Len())))
		return -1, nil
	})
	return err
}

// SetSkill implements ccd.ConfigAdmin.
func (m *Manager) SetSkill(ctx context.Context, who ccd.Principal, agent, skill string, level int) (map[string]any, error) {
	if level < 0 || level > 10 {
		return nil, ccd.Invalid("level", "want 1..10, or 0 to remove the skill")
	}
	out, err := m.commit(ctx, who, ccd.ConfigAgent, agent, func(next *config.ACD) (int, error) {
		i := kinds[ccd.ConfigAgent].index(next, agent)
		if i < 0 {
			return 0, notFound(ccd.ConfigAgent, agent)
		}
		ag := next.Agents[i]
		skills := make(map[string]int, len(ag.Skills)+1)
		for s, l := range ag.Skills {
			skills[s] = l
		}
		if level == 0 {
			delete(skills, skill)
		} else {
			skills[skill] = level
		}
		ag.Skills = skills
		next.Agents[i] = ag
		return i, nil
	})
	return out.item, err
}

// committed is an item as a change left it, and its version.
type committed struct {
	item    map[string]any
	version string
}

// commit makes one change: edit changes a copy of the configuration and
// returns the index of the changed item (-1 when it was removed); the copy
// is validated, stored, applied and audited, in that order, and becomes the
// current configuration. It returns the item as it is now.
func (m *Manager) commit(ctx context.Context, who ccd.Principal, name ccd.ConfigKind, id string,
	edit func(next *config.ACD) (int, error)) (committed, error) {
	m.change.Lock()
	defer m.change.Unlock()
	m.mu.RLock()
	db, cur := m.db, m.cur
	m.mu.RUnlock()
	if db == nil {
		return committed{}, errNotLoaded
	}
	k := kinds[name]
	var before map[string]any
	if i := k.index(&cur, id); i >= 0 {
		before = masked(k.of(&cur).Index(i).Interface())
	}
	next := cloneLists(cur)
	i, err := edit(&next)
	if err != nil {
		return committed{}, err
	}
	if err := next.Validate(); err != nil {
		return committed{}, refusal(err, &next, k, i)
	}
	if m.vet != nil && i >= 0 {
		if err := m.vet(ctx, &next, name, i); err != nil {
			return committed{}, refusal(err, &next, k, i)
		}
	}
	var raw json.RawMessage
	if i >= 0 {
		l := k.of(&next)
		if ag, ok := l.Index(i).Interface().(config.Agent); ok {
			if ag, err = hashed(ag); err != nil {
				return committed{}, err
			}
			l.Index(i).Set(reflect.ValueOf(ag))
		}
		if raw, err = json.Marshal(config.EncodeItem(l.Index(i).Interface())); err != nil {
			return committed{}, err
		}
	}
	// Applied before it is stored: what the running side refuses (a route
	// lookup that cannot be opened) is refused before anything changed, and
	// a store that fails is undone.
	if err := m.apply(ctx, next); err != nil {
		return committed{}, refusal(err, &next, k, i)
	}
	var after map[string]any
	var tag string
	if i >= 0 {
		after = masked(k.of(&next).Index(i).Interface())
		tag = version(k.of(&next).Index(i).Interface())
	}
	action := ccd.ConfigUpdated
	switch {
	case before == nil:
		action = ccd.ConfigCreated
	case after == nil:
		action = ccd.ConfigDeleted
	}
	audit := m.auditEvent(ccd.ConfigChange{Item: name, ID: id, Action: action, By: string(who.Kind) + ":" + who.Name, Before: before, After: after})
	if err := m.store(ctx, db, name, id, raw, audit); err != nil {
		if undo := m.apply(ctx, cur); undo != nil {
			m.log.Error("a configuration change was not stored and could not be undone", "item", name, "id", id, "err", undo)
		}
		return committed{}, err
	}
	if err := m.set(next); err != nil {
		return committed{}, err
	}
	m.notify(next)
	return committed{after, tag}, nil
}

// store writes one item (raw), or removes it (raw nil), with its audit
// event: both are committed, or neither.
func (m *Manager) store(ctx context.Context, db Store, name ccd.ConfigKind, id string, raw json.RawMessage, audit eventlog.Event) error {
	if raw == nil {
		return db.DeleteACDConfig(ctx, name, id, audit)
	}
	return db.PutACDConfig(ctx, name, id, raw, audit)
}

// auditEvent is the event log's record of a change.
func (m *Manager) auditEvent(ch ccd.ConfigChange) eventlog.Event {
	ev := eventlog.Event{At: m.now(), Kind: ccd.EventConfigChanged, Source: eventlog.SourceAPI, Key: eventlog.NewKey(),
		Payload: eventlog.Payload(ch)}
	switch ch.Item {
	case ccd.ConfigAgent:
		ev.Agent = ch.ID
	case ccd.ConfigQueue:
		ev.Queue = ch.ID
	case ccd.ConfigRoute:
		ev.DNIS = ch.ID
	}
	return ev
}

// invalid turns a decoding problem into a 400 naming the key.
func invalid(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ccd.Invalid(ce.Key, ce.Problem)
	}
	return err
}

// refusal turns the validation errors of a changed configuration into the
// answer: a problem of the changed item (index i of kind k) is a 400 naming
// its key within the item; a problem elsewhere (a route naming a queue
// that is being removed) is a conflict that names that other item.
func refusal(err error, next *config.ACD, k kind, i int) error {
	var all []*config.Error
	for _, e := range unjoin(err) {
		var ce *config.Error
		if errors.As(e, &ce) {
			all = append(all, ce)
		}
	}
	if len(all) == 0 {
		return err
	}
	prefix := fmt.Sprintf("acd.%s[%d]", k.listKey, i)
	for _, ce := range all {
		if i >= 0 && (ce.Key == prefix || strings.HasPrefix(ce.Key, prefix+".")) {
			field := strings.TrimPrefix(strings.TrimPrefix(ce.Key, prefix), ".")
			if field == "" {
				field = k.idKey
			}
			return ccd.Invalid(field, ce.Problem)
		}
	}
	return &ccd.Error{Code: ccd.ECONFLICT, Message: describe(next, all[0].Key) + ": " + all[0].Problem}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

var itemKey = regexp.MustCompile(`^acd\.([a-z]+)\[(\d+)\]\.?(.*)$`)

// describe names the item a key of the file is in by its id:
// acd.routes[0].queue is "route 5550100: queue".
func describe(c *config.ACD, key string) string {
	m := itemKey.FindStringSubmatch(key)
	if m == nil {
		return key
	}
	for name, k := range kinds {
		if k.listKey != m[1] {
			continue
		}
		i, _ := strconv.Atoi(m[2])
		l := k.of(c)
		if i >= l.Len() {
			break
		}
		out := name + " " + strconv.Quote(k.id(l.Index(i)))
		if m[3] != "" {
			out += ": " + m[3]
		}
		return out
	}
	return key
}

// ---- the agent interfaces ----

// CheckPassword checks an agent's own password; known says the agent
// exists and has one.
func (m *Manager) CheckPassword(agent, password string) (known, ok bool) {
	m.mu.RLock()
	var ag config.Agent
	if i := kinds[ccd.ConfigAgent].index(&m.cur, agent); i >= 0 {
		ag = m.cur.Agents[i]
	}
	m.mu.RUnlock()
	switch {
	case ag.PasswordHash != "":
		return true, bcrypt.CompareHashAndPassword([]byte(ag.PasswordHash), []byte(password)) == nil
	case ag.Password != "": // the file's, before the database is read
		return true, subtle.ConstantTimeCompare([]byte(ag.Password), []byte(password)) == 1
	}
	return false, false
}

// SIPCredentials are the agent's softphone user and password; ok false
// when it has none.
func (m *Manager) SIPCredentials(agent string) (user, password string, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if i := kinds[ccd.ConfigAgent].index(&m.cur, agent); i >= 0 && m.cur.Agents[i].SIPUser != "" {
		return m.cur.Agents[i].SIPUser, m.cur.Agents[i].SIPPassword, true
	}
	return "", "", false
}

// AutoAnswer tells whether the agent's phone is asked to answer ccd's
// calls by itself (acd.agents[].auto_answer).
func (m *Manager) AutoAnswer(agent string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := kinds[ccd.ConfigAgent].index(&m.cur, agent)
	return i >= 0 && m.cur.Agents[i].AutoAnswer
}

// AgentQueues are the codes of the queues an agent may serve: every skill
// a queue requires at its minimum level, and membership of one of its
// groups when it names groups (the ACD's rule).
func (m *Manager) AgentQueues(agent string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := kinds[ccd.ConfigAgent].index(&m.cur, agent)
	if i < 0 {
		return nil
	}
	ag := m.cur.Agents[i]
	groups := map[string]bool{}
	for _, g := range ag.Groups {
		groups[g] = true
	}
	for _, g := range m.cur.Groups {
		if slices.Contains(g.Agents, agent) {
			groups[g.Name] = true
		}
	}
	var out []string
	for _, q := range m.cur.Queues {
		if serves(ag.Skills, groups, q) {
			out = append(out, q.Code)
		}
	}
	return out
}

func serves(skills map[string]int, groups map[string]bool, q config.Queue) bool {
	for s, min := range q.Skills {
		if skills[s] < min {
			return false
		}
	}
	if len(q.Groups) == 0 {
		return true
	}
	return slices.ContainsFunc(q.Groups, func(g string) bool { return groups[g] })
}

// Profile is an agent's name and address, for the login answer.
func (m *Manager) Profile(agent string) (name, email string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if i := kinds[ccd.ConfigAgent].index(&m.cur, agent); i >= 0 {
		return m.cur.Agents[i].Name, m.cur.Agents[i].Email
	}
	return "", ""
}

// Endpoints is where agents may log in, from the live agents' endpoints.
func (m *Manager) Endpoints() *endpoints.Policy {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.policy
}

var _ ccd.ConfigAdmin = (*Manager)(nil)

// ---- switches ----

// Switches are the day/night switches as they are now.
func (m *Manager) Switches() []flow.Switch {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.cur.Switches)
}

// SetSwitch turns a switch on or off: a change of the live configuration
// like any other (stored, applied at once, audited as config.changed with
// the state before and after).
func (m *Manager) SetSwitch(ctx context.Context, who ccd.Principal, localnumber string, active bool) (flow.Switch, error) {
	var out flow.Switch
	_, err := m.commit(ctx, who, ccd.ConfigSwitch, localnumber, func(next *config.ACD) (int, error) {
		i := kinds[ccd.ConfigSwitch].index(next, localnumber)
		if i < 0 {
			return 0, notFound(ccd.ConfigSwitch, localnumber)
		}
		next.Switches[i].Active = active
		out = next.Switches[i]
		return i, nil
	})
	return out, err
}
