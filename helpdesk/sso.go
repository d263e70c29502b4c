package helpdesk

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// ssoKey derives the key that seals single sign-on flows from the JWT
// secret, so that every instance sharing the secret opens the flows of the
// others.
func ssoKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("boladao sso flows"))
	return m.Sum(nil)
}

// passwordAllowed refuses the password sign-in of a user whose company
// allows only single sign-on. Platform admins always keep it.
func (d *Desk) passwordAllowed(ctx context.Context, u directory.User) error {
	ok, err := d.SSO.PasswordSignInAllowed(ctx, u.CompanyID)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if !ok {
		return sso.ErrPasswordSignInDisabled
	}
	return nil
}

// SignInSSO opens a session for a person their company's provider vouched
// for (sso.Service.Finish): the user of that company with the identity's
// email, or, when the company allows it and no user has the email, a new
// user (and contact) with the company's default role. The session is the
// one Login opens, never restricted by a two-factor requirement: the
// provider enforces its own. created reports a new user.
//
// Refusals are *sso.FlowError: ReasonUnknownUser (no such user and no
// creation), ReasonOtherCompany (the email is another company's user or a
// platform admin), ReasonDisabled (user or company deactivated; it also
// matches directory.ErrAccountDisabled).
func (d *Desk) SignInSSO(ctx context.Context, id sso.Identity) (t Tokens, u directory.User, created bool, err error) {
	if u, created, err = d.ssoUser(ctx, id); err != nil {
		return Tokens{}, directory.User{}, false, err
	}
	// The provider vouched for the person: second factors are its
	// business (Entra ID, Google and Keycloak enforce their own).
	t, err = d.startSession(ctx, u, ClientInfo{}, false)
	return t, u, created, err
}

func (d *Desk) ssoUser(ctx context.Context, id sso.Identity) (directory.User, bool, error) {
	q := d.store.Directory()
	c, err := q.CompanyByID(ctx, id.CompanyID)
	if err != nil {
		return directory.User{}, false, fmt.Errorf("single sign-on: company %d: %w", id.CompanyID, err)
	}
	if !c.Active {
		return directory.User{}, false, &sso.FlowError{Reason: sso.ReasonDisabled, Detail: "the company is deactivated",
			Err: directory.ErrAccountDisabled}
	}
	created := false
	u, err := q.UserByEmail(ctx, id.Email)
	if errors.Is(err, storage.ErrNotFound) {
		if !id.CreateUsers {
			return directory.User{}, false, sso.Refuse(sso.ReasonUnknownUser,
				fmt.Sprintf("no user %s in company %d, and the company does not create users on first sign-in", id.Email, id.CompanyID))
		}
		u, err = d.createSSOUser(ctx, id)
		if errors.Is(err, storage.ErrConflict) { // created meanwhile by another sign-in
			u, err = q.UserByEmail(ctx, id.Email)
		} else {
			created = err == nil
		}
	}
	if err != nil {
		return directory.User{}, false, fmt.Errorf("single sign-on: %w", err)
	}
	if u.CompanyID != id.CompanyID {
		return directory.User{}, false, sso.Refuse(sso.ReasonOtherCompany,
			fmt.Sprintf("%s is not a user of company %d", id.Email, id.CompanyID))
	}
	if !u.Active {
		return directory.User{}, false, &sso.FlowError{Reason: sso.ReasonDisabled, Detail: id.Email + " is deactivated",
			Err: directory.ErrAccountDisabled}
	}
	return u, created, nil
}

// createSSOUser creates the user of a first sign-in, on the contact of
// the company with that email (created when there is none). Its password
// is random and never shown: the person signs in with single sign-on.
func (d *Desk) createSSOUser(ctx context.Context, id sso.Identity) (directory.User, error) {
	actor, err := tenant.System().InCompany(id.CompanyID)
	if err != nil {
		return directory.User{}, err
	}
	contacts, err := d.Directory.ListContacts(ctx, actor, directory.ContactFilter{Email: id.Email}, storage.PageRequest{Limit: 1})
	if err != nil {
		return directory.User{}, err
	}
	var contact directory.Contact
	if len(contacts.Items) > 0 {
		contact = contacts.Items[0]
	} else {
		name := id.Name
		if name == "" {
			name, _, _ = strings.Cut(id.Email, "@")
		}
		if contact, err = d.Directory.CreateContact(ctx, actor, directory.ContactInput{Name: name, Email: id.Email}); err != nil {
			return directory.User{}, err
		}
	}
	return d.Directory.CreateUser(ctx, actor, directory.UserInput{Email: id.Email, Password: rand.Text() + rand.Text(),
		Role: id.DefaultRole, ContactID: contact.ID})
}
