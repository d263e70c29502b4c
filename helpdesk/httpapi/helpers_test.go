package httpapi_test

import (
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

func dirUserFilter(role string) directory.UserFilter {
	return directory.UserFilter{Role: tenant.Role(role)}
}

func pageAll() storage.PageRequest { return storage.PageRequest{Limit: storage.MaxLimit} }
