package tickets

import "github.com/sistemaboladao/boladao/helpdesk/directory"

func directoryCompany(tz string) directory.Company {
	return directory.Company{ID: 1, Name: "Acme", Timezone: tz, Active: true}
}
