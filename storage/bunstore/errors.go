package bunstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/sistemaboladao/boladao/storage"
)

// translate maps driver errors onto the storage sentinels, keeping the
// driver's message for context.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	case isUniqueViolation(err):
		return fmt.Errorf("%s: %w (%v)", what, storage.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func isUniqueViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505"
	}
	// modernc.org/sqlite and mattn/go-sqlite3 both report
	// SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY with this message.
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: UNIQUE")
}
