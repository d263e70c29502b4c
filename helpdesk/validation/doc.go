// Package validation holds the typed error every service returns for invalid
// input (*Error, a list of FieldError naming each bad field) and the small
// checks the domain packages share: required text with length limits, email
// addresses and E.164 phone numbers.
//
// Services collect problems with a Builder and return b.Err(); the HTTP layer
// turns an *Error into a 422 problem with one entry per field.
package validation
