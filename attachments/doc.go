// Package attachments holds the files of Boladão: the photos, signed forms,
// screenshots and documents attached to tickets, ticket comments, service
// orders and assets.
//
// A file lives in two places. Its bytes are a blob in a bucket
// (gocloud.dev/blob: a local directory by default, S3-compatible object
// storage for larger deployments) under a content-addressed key,
// "sha256/ab/abcdef...", so that the same bytes are stored once. Its
// metadata (company, owner, sanitized name, size, SHA-256, sniffed content
// type, uploader, times) is a row of the store, written in the owner's unit
// of work together with the attachment.added event.
//
// An upload is therefore two steps. Stage streams the bytes into the bucket
// (never buffering the whole file): it sniffs the content type from the
// first bytes, refuses executables and types the Policy does not allow,
// hashes while writing to a temporary key, stops at the size limit, and
// renames the blob to its content-addressed key. AttachTx (or Attach) then
// writes the rows inside a unit of work, checking that the owner exists in
// the actor's company, that the actor may see and change it, and that the
// company's quota holds. A unit of work that fails leaves a staged blob no
// row refers to; CollectGarbage deletes such blobs once they are older than
// a grace period, so an upload still in flight is never collected, and a
// crash can never leave a row without its blob.
//
// Reading follows the owner's rules: requesters see the files of their own
// tickets but never those of internal notes, viewers read, another
// company's attachment is storage.ErrNotFound. Deleting is soft: the row
// keeps who deleted it and when, and the blob stays until no row refers to
// it.
//
// Events carry metadata only (attachment.added, attachment.deleted with the
// owner, name, size, content type and SHA-256), never contents. Zip files
// and other archives are stored as they are, never unpacked.
package attachments
