package daemon

import (
	"context"

	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/store"
)

// The dialer's campaigns and dispositions for the agent console's wrap-up
// panel (webui's dispositionStore), or a 503 until the database is
// connected.

func (s uiStore) CampaignCallOf(ctx context.Context, callID string) (store.CampaignCall, bool, error) {
	db, err := s.get()
	if err != nil {
		return store.CampaignCall{}, false, err
	}
	return db.CampaignCallOf(ctx, callID)
}

func (s uiStore) Campaign(ctx context.Context, id int) (dialer.Campaign, error) {
	db, err := s.get()
	if err != nil {
		return dialer.Campaign{}, err
	}
	return db.Campaign(ctx, id)
}

func (s uiStore) DispositionOptions(ctx context.Context, campaign int, field string) ([]store.DispositionOption, error) {
	db, err := s.get()
	if err != nil {
		return nil, err
	}
	return db.DispositionOptions(ctx, campaign, field)
}

func (s uiStore) DispositionOption(ctx context.Context, id int) (store.DispositionOption, error) {
	db, err := s.get()
	if err != nil {
		return store.DispositionOption{}, err
	}
	return db.DispositionOption(ctx, id)
}

func (s uiStore) DispositionOfCall(ctx context.Context, c store.CampaignCall) (*store.CallDisposition, error) {
	db, err := s.get()
	if err != nil {
		return nil, err
	}
	return db.DispositionOfCall(ctx, c)
}

func (s uiStore) SetCallDisposition(ctx context.Context, c store.CampaignCall, d store.Disposition) (store.Disposition, bool, error) {
	db, err := s.get()
	if err != nil {
		return store.Disposition{}, false, err
	}
	return db.SetCallDisposition(ctx, c, d)
}

func (s uiStore) LastCallOfAgent(ctx context.Context, agent string) (string, error) {
	db, err := s.get()
	if err != nil {
		return "", err
	}
	return db.LastCallOfAgent(ctx, agent)
}
