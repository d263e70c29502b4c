package inventory

import (
	"context"
	"errors"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Preview renders the serial the pattern gives sequence number seq of an
// intake of category on at, with prefix filling {PREFIX}: what a settings
// page shows before the pattern is saved. An invalid pattern returns its
// validation error.
func (p SerialPattern) Preview(prefix, category string, at time.Time, seq int64) (string, error) {
	sc, err := p.scope(prefix, category, at)
	if err != nil {
		return "", err
	}
	return sc.format(seq), nil
}

// SerialSettings returns the actor's company's serial settings as saved
// (empty fields mean the defaults: DefaultSerialPattern and DefaultPrefix
// of the company's name). It needs tenant.PermAssetsRead.
func (s *Service) SerialSettings(ctx context.Context, actor tenant.Actor) (SerialSettings, error) {
	if err := actor.RequireIn(tenant.PermAssetsRead); err != nil {
		return SerialSettings{}, err
	}
	set, err := s.store.SerialSettings(ctx, actor.CompanyID)
	if errors.Is(err, storage.ErrNotFound) {
		return SerialSettings{}, nil
	}
	return set, err
}
