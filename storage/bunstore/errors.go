package bunstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

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
	case isConnectionLoss(err):
		return fmt.Errorf("%s: %w", what, unavailable(err))
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

// isConnectionLoss reports whether err says the database could not be
// reached or dropped the connection: a refused or reset TCP connection, a
// connection closed under the driver (io.EOF), database/sql giving up on
// bad connections, or PostgreSQL ending the session (SQLSTATE class 08,
// connection exception; 57P01-57P03, shutdown and pg_terminate_backend).
// A context's cancellation or deadline is not one: the caller gave up.
func isConnectionLoss(err error) bool {
	if errors.Is(err, storage.ErrUnavailable) {
		return true
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		// A FATAL error ends the session: the server refused the
		// connection (a database not accepting connections, too many
		// clients, shutting down) or dropped it.
		code, severity := pgErr.Field('C'), pgErr.Field('V')
		if severity == "" {
			severity = pgErr.Field('S')
		}
		return severity == "FATAL" || severity == "PANIC" ||
			strings.HasPrefix(code, "08") || code == "53300" || code == "57P01" || code == "57P02" || code == "57P03"
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &netErr)
}

// unavailableError marks a connection loss as storage.ErrUnavailable,
// keeping the driver's error and message.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string {
	return storage.ErrUnavailable.Error() + ": " + e.err.Error()
}
func (e *unavailableError) Unwrap() error { return e.err }

// Is makes errors.Is(err, storage.ErrUnavailable) true.
func (e *unavailableError) Is(target error) bool { return target == storage.ErrUnavailable }

// unavailable marks err as storage.ErrUnavailable, unless it is marked
// already.
func unavailable(err error) error {
	if errors.Is(err, storage.ErrUnavailable) {
		return err
	}
	return &unavailableError{err}
}

// classify marks err as storage.ErrUnavailable when it is a connection
// loss, and returns it unchanged otherwise: units of work and the other
// calls that return driver errors without translate pass through it.
func classify(err error) error {
	if err != nil && isConnectionLoss(err) {
		return unavailable(err)
	}
	return err
}
