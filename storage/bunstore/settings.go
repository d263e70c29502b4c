package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

type settingRow struct {
	bun.BaseModel `bun:"table:settings"`
	Name          string    `bun:"name,pk"`
	Value         string    `bun:"value"`
	CreatedAt     time.Time `bun:"created_at"`
}

// Setting returns the value of the installation setting name, creating it
// with generate when it does not exist yet. Get-or-create is atomic across
// processes sharing the database: when two race, both get the value that
// was stored first (INSERT ... ON CONFLICT DO NOTHING, then SELECT).
// The reference server keeps its generated JWT secret this way, so that it
// lives (and is backed up) with the data. Values are stored as given:
// settings are not encrypted.
func (s *Store) Setting(ctx context.Context, name string, generate func() (string, error)) (string, error) {
	if name == "" {
		return "", errors.New("bunstore: setting name is empty")
	}
	var value string
	err := s.write.NewSelect().Model((*settingRow)(nil)).Column("value").Where("name = ?", name).Scan(ctx, &value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("bunstore: reading setting %q: %w", name, err)
	}
	generated, err := generate()
	if err != nil {
		return "", fmt.Errorf("bunstore: generating setting %q: %w", name, err)
	}
	row := settingRow{Name: name, Value: generated, CreatedAt: time.Now().UTC()}
	if _, err := s.write.NewInsert().Model(&row).On("CONFLICT (name) DO NOTHING").Exec(ctx); err != nil {
		return "", fmt.Errorf("bunstore: storing setting %q: %w", name, err)
	}
	if err := s.write.NewSelect().Model((*settingRow)(nil)).Column("value").Where("name = ?", name).Scan(ctx, &value); err != nil {
		return "", fmt.Errorf("bunstore: reading setting %q: %w", name, err)
	}
	return value, nil
}
