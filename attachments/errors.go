package attachments

import (
	"errors"
	"fmt"
)

// Errors of attachments. Each says what the client can do about it.
var (
	// ErrTooLarge is returned (in a *LimitError) when a file exceeds the
	// per-file limit; nothing is stored.
	ErrTooLarge = errors.New("file too large")
	// ErrQuotaExceeded is returned (in a *LimitError) when a company's
	// files would exceed its quota; nothing is stored.
	ErrQuotaExceeded = errors.New("company file quota exceeded")
	// ErrRefusedType is returned (in a *TypeError) for executables and for
	// types the policy does not allow; nothing is stored.
	ErrRefusedType = errors.New("file type not accepted")
	// ErrNoBlobStore is returned when the desk has no bucket for files.
	ErrNoBlobStore = errors.New("attachments: no blob store configured: give the desk a bucket (helpdesk.WithAttachments, BOLADAO_FILES_URL)")
)

// LimitError is a size limit that an upload would exceed.
type LimitError struct {
	// Err is ErrTooLarge or ErrQuotaExceeded.
	Err error
	// Limit is the limit in bytes; Used is what the company already has
	// (quota only).
	Limit, Used int64
}

func (e *LimitError) Error() string {
	if errors.Is(e.Err, ErrQuotaExceeded) {
		return fmt.Sprintf("%v: the company's files take %d of its %d bytes; delete files or raise BOLADAO_FILES_QUOTA", e.Err, e.Used, e.Limit)
	}
	return fmt.Sprintf("%v: files are limited to %d bytes (BOLADAO_MAX_UPLOAD)", e.Err, e.Limit)
}

func (e *LimitError) Unwrap() error { return e.Err }

// TypeError is a file refused for its type.
type TypeError struct {
	Name        string
	ContentType string
	// Executable is set when the file was refused as a program or script.
	Executable bool
}

func (e *TypeError) Error() string {
	if e.Executable {
		return fmt.Sprintf("%v: %q (%s) is a program or a script, which are not accepted", ErrRefusedType, e.Name, e.ContentType)
	}
	return fmt.Sprintf("%v: %q is %s, which this desk does not accept", ErrRefusedType, e.Name, e.ContentType)
}

func (e *TypeError) Unwrap() error { return ErrRefusedType }
