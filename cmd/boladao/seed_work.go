package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// demoClock is the clock the demo desk's services read: seedDemo sets it
// back to when each step of the demo's history happened. It never runs
// past end (the real now), so nothing is dated in the future. It is safe
// for concurrent use (the desk's workers may read it).
type demoClock struct {
	mu       sync.Mutex
	now, end time.Time
}

// Now returns the clock's reading.
func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// set moves the clock to t, or to end when t is later.
func (c *demoClock) set(t time.Time) {
	if t.After(c.end) {
		t = c.end
	}
	c.mu.Lock()
	c.now = t.UTC()
	c.mu.Unlock()
}

// demoCast is the people of a demo company, as actors.
type demoCast struct {
	company                         directory.Company
	admin, agent, requester, viewer tenant.Actor
	colleagues                      []tenant.ContactID
}

func (c *demoCast) set(r tenant.Role, a tenant.Actor) {
	switch r {
	case tenant.RoleAdmin:
		c.admin = a
	case tenant.RoleAgent:
		c.agent = a
	case tenant.RoleRequester:
		c.requester = a
	default:
		c.viewer = a
	}
}

// demoWork seeds the tickets and service orders of one company.
type demoWork struct {
	desk  *helpdesk.Desk
	clock *demoClock
	cast  demoCast
	stock demoStock
	sum   *demoSummary
	// cal is the company's business calendar: the demo's history is laid
	// out in business time, so that SLA states hold whenever it is seeded.
	cal sla.Calendar
	// ticketIDs are the tickets orders refer to, by their demo key.
	ticketIDs map[string]int64
}

// ago returns the instant whose business time to the real now is d.
func (w *demoWork) ago(d time.Duration) time.Time {
	end := w.clock.end
	lo, hi := end.AddDate(0, -2, 0), end
	for range 60 { // Between decreases as the start moves later
		mid := lo.Add(hi.Sub(lo) / 2)
		if w.cal.Between(mid, end) > d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi.Truncate(time.Second)
}

// demoStep is one thing that happens to a demo ticket, at a business-time
// offset from its creation.
type demoStep struct {
	at       time.Duration
	by       string // "agent", "admin" or "requester"
	comment  string
	internal bool
	status   tickets.Status
	note     string // resolution note or cancel reason
}

// demoTicket is one ticket of the demo and its history.
type demoTicket struct {
	key      string
	title    string
	priority sla.Priority
	category string
	channel  tickets.Channel
	tags     []string
	// age is the business time from its creation to now; byRequester
	// says the requester opened it (else the agent, for a colleague).
	age         time.Duration
	byRequester bool
	asset       bool
	assign      bool
	steps       []demoStep
}

func (w *demoWork) actor(by string) tenant.Actor {
	switch by {
	case "admin":
		return w.cast.admin
	case "requester":
		return w.cast.requester
	}
	return w.cast.agent
}

// demoTickets is the demo's ticket history: every state, SLA clocks met,
// on track, at risk, paused and breached, assigned and not.
func demoTickets() []demoTicket {
	h := time.Hour
	m := time.Minute
	return []demoTicket{
		{key: "vpn", title: "VPN não conecta desde a atualização do Windows", priority: sla.PriorityCritical,
			category: "Rede", channel: tickets.ChannelWhatsApp, tags: []string{"vpn", "vip"}, age: 20 * m, byRequester: true,
			steps: []demoStep{{at: 10 * m, by: "agent", comment: "Verificando o concentrador; o cliente VPN foi atualizado junto?", internal: true}}},
		{key: "toner", title: "Trocar toner da impressora do 2º andar", priority: sla.PriorityLow,
			category: "Impressão", channel: tickets.ChannelEmail, tags: []string{"impressora"}, age: 41 * h, byRequester: true},
		{key: "erp", title: "Lentidão no ERP no fechamento do mês", priority: sla.PriorityHigh,
			category: "Sistemas", channel: tickets.ChannelWeb, tags: []string{"erp", "desempenho"}, age: 50 * h, assign: true,
			steps: []demoStep{
				{at: 2 * h, by: "agent", status: tickets.StatusOpen},
				{at: 3 * h, by: "agent", comment: "Fornecedor do ERP acionado pelo portal, protocolo 88231.", internal: true},
			}},
		{key: "notebook", title: "Notebook não liga após queda de energia", priority: sla.PriorityMedium,
			category: "Hardware", channel: tickets.ChannelAPI, tags: []string{"notebook"}, age: 61 * h, byRequester: true, asset: true, assign: true,
			steps: []demoStep{
				{at: 30 * m, by: "agent", comment: "Recebido. Vamos agendar a visita de um técnico."},
				{at: 45 * m, by: "agent", status: tickets.StatusInProgress},
				{at: 1 * h, by: "agent", comment: "Provável fonte ou placa-mãe; abrir OS corretiva com peça.", internal: true},
			}},
		{key: "email", title: "Configurar e-mail no celular novo", priority: sla.PriorityMedium,
			category: "E-mail", channel: tickets.ChannelWhatsApp, tags: []string{"celular"}, age: 9 * h, byRequester: true, assign: true,
			steps: []demoStep{
				{at: 50 * time.Minute, by: "agent", status: tickets.StatusOpen},
				{at: 1 * h, by: "agent", comment: "Pode nos informar o modelo do aparelho e se ele é Android ou iOS?"},
				{at: 1*h + 5*m, by: "agent", status: tickets.StatusPendingCustomer},
			}},
		{key: "link", title: "Link de internet da filial caindo", priority: sla.PriorityHigh,
			category: "Rede", channel: tickets.ChannelEmail, tags: []string{"link", "filial"}, age: 12 * h, assign: true,
			steps: []demoStep{
				{at: 30 * m, by: "agent", status: tickets.StatusInProgress},
				{at: 40 * m, by: "agent", comment: "Chamado aberto com a operadora; aguardando a visita deles."},
				{at: 50 * m, by: "agent", comment: "Operadora: protocolo 2026-5544, prazo de 48 h.", internal: true},
				{at: 55 * m, by: "agent", status: tickets.StatusPendingThirdParty},
			}},
		{key: "senha", title: "Redefinir senha do sistema de ponto", priority: sla.PriorityCritical,
			category: "Acesso", channel: tickets.ChannelWeb, tags: []string{"senha"}, age: 30 * h, byRequester: true, assign: true,
			steps: []demoStep{
				{at: 15 * m, by: "agent", comment: "Senha provisória enviada por SMS."},
				{at: 2 * h, by: "agent", status: tickets.StatusResolved, note: "Senha redefinida e acesso confirmado."},
				{at: 3 * h, by: "requester", comment: "Funcionou, obrigada!"},
			}},
		{key: "monitor", title: "Instalar segundo monitor na recepção", priority: sla.PriorityMedium,
			category: "Hardware", channel: tickets.ChannelWeb, tags: []string{"monitor"}, age: 70 * h, byRequester: true, assign: true,
			steps: []demoStep{
				{at: 1 * h, by: "agent", comment: "Monitor separado no almoxarifado; instalação amanhã cedo."},
				{at: 20 * h, by: "agent", status: tickets.StatusResolved, note: "Monitor instalado e configurado em tela estendida."},
				{at: 22 * h, by: "requester", status: tickets.StatusClosed},
			}},
		{key: "backup", title: "Backup do servidor de arquivos falhou", priority: sla.PriorityHigh,
			category: "Servidores", channel: tickets.ChannelAPI, tags: []string{"backup", "servidor"}, age: 90 * h, assign: true,
			steps: []demoStep{
				{at: 6 * h, by: "agent", comment: "Analisando os logs do job de backup."},
				{at: 7 * h, by: "agent", comment: "Disco de destino cheio; rotação antiga não apagava.", internal: true},
				{at: 30 * h, by: "agent", status: tickets.StatusResolved, note: "Rotação corrigida e backup completo executado."},
				{at: 32 * h, by: "admin", status: tickets.StatusClosed},
			}},
		{key: "software", title: "Pedido de licença do editor de PDF", priority: sla.PriorityLow,
			category: "Software", channel: tickets.ChannelWeb, tags: []string{"licença"}, age: 5 * h, byRequester: true,
			steps: []demoStep{
				{at: 1 * h, by: "requester", status: tickets.StatusCancelled, note: "Já resolvido com o editor gratuito."},
			}},
		{key: "wifi", title: "Wi-Fi da sala de reunião instável", priority: sla.PriorityMedium,
			category: "Rede", channel: tickets.ChannelEmail, tags: []string{"wifi"}, age: 3 * h,
			steps: []demoStep{{at: 20 * m, by: "agent", status: tickets.StatusOpen}}},
	}
}

// tickets seeds demoTickets: each is created, and its history played,
// with the clock at the business time it happened.
func (w *demoWork) tickets(ctx context.Context) error {
	w.cal, _ = tickets.DefaultSLAConfig()(w.cast.company)
	w.ticketIDs = map[string]int64{}
	colleague := 0
	for _, dt := range demoTickets() {
		start := w.ago(dt.age)
		w.clock.set(start)
		in := tickets.CreateInput{Title: dt.title, Priority: dt.priority, Category: dt.category, Channel: dt.channel,
			Tags: dt.tags, Description: dt.title + ". Aberto pela demonstração do Boladão."}
		by := w.cast.agent
		if dt.byRequester {
			by = w.cast.requester
		} else if len(w.cast.colleagues) > 0 {
			in.RequesterContactID = w.cast.colleagues[colleague%len(w.cast.colleagues)]
			colleague++
		}
		if dt.asset {
			in.AssetID = w.stock.lent.ID
		}
		d, err := w.desk.Tickets.Create(ctx, by, in)
		if err != nil {
			return fmt.Errorf("ticket %q: %w", dt.title, err)
		}
		id := d.Ticket.ID
		w.ticketIDs[dt.key] = id
		w.sum.Tickets++
		if dt.assign {
			w.clock.set(w.cal.Add(start, 5*time.Minute))
			if _, err := w.desk.Tickets.Assign(ctx, w.cast.admin, id, w.cast.agent.UserID, 0); err != nil {
				return fmt.Errorf("assigning ticket %d: %w", id, err)
			}
		}
		steps := append([]demoStep(nil), dt.steps...)
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
		for _, st := range steps {
			w.clock.set(w.cal.Add(start, st.at))
			a := w.actor(st.by)
			if st.comment != "" {
				if _, err := w.desk.Tickets.AddComment(ctx, a, id, st.comment, st.internal); err != nil {
					return fmt.Errorf("commenting on ticket %d: %w", id, err)
				}
				w.sum.Comments++
			}
			if st.status != "" {
				status := st.status
				p := tickets.Patch{Status: &status}
				if status == tickets.StatusCancelled {
					p.Reason = st.note
				} else {
					p.ResolutionNote = st.note
				}
				if _, err := w.desk.Tickets.Update(ctx, a, id, p); err != nil {
					return fmt.Errorf("moving ticket %d to %s: %w", id, status, err)
				}
			}
		}
	}
	return nil
}

// demoOrder is one service order of the demo: its type, the ticket it
// serves (by demo key), the state it ends in and its work log.
type demoOrder struct {
	typ         serviceorders.Type
	ticket      string
	description string
	age         time.Duration
	to          serviceorders.Status
	activities  []serviceorders.ActivityInput
	part        bool
}

// demoOrders is one order in every state.
func demoOrders() []demoOrder {
	labour := func(min int, billable bool, what string) serviceorders.ActivityInput {
		return serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, Minutes: min, Billable: billable, Description: what}
	}
	travel := serviceorders.ActivityInput{Kind: serviceorders.ActivityKindTravel, Minutes: 40, Description: "Deslocamento até o cliente"}
	note := func(what string) serviceorders.ActivityInput {
		return serviceorders.ActivityInput{Kind: serviceorders.ActivityKindNote, Description: what}
	}
	h := time.Hour
	return []demoOrder{
		{typ: serviceorders.TypeRemote, ticket: "erp", description: "Análise remota da lentidão do ERP", age: 40 * h,
			to: serviceorders.StatusDraft},
		{typ: serviceorders.TypePreventive, description: "Manutenção preventiva trimestral das estações", age: 20 * h,
			to: serviceorders.StatusScheduled},
		{typ: serviceorders.TypeCorrective, ticket: "notebook", description: "Troca de memória e teste da fonte do notebook", age: 50 * h,
			to: serviceorders.StatusInProgress, part: true,
			activities: []serviceorders.ActivityInput{travel, labour(90, true, "Diagnóstico na bancada: módulo de memória com defeito")}},
		{typ: serviceorders.TypeInstallation, ticket: "link", description: "Instalação do roteador de contingência da filial", age: 11 * h,
			to:         serviceorders.StatusOnHold,
			activities: []serviceorders.ActivityInput{travel, note("Aguardando a operadora liberar o segundo link")}},
		{typ: serviceorders.TypeInspection, description: "Vistoria do rack do servidor", age: 80 * h,
			to:         serviceorders.StatusCompleted,
			activities: []serviceorders.ActivityInput{labour(60, true, "Vistoria, limpeza e organização dos cabos")}},
		{typ: serviceorders.TypeInstallation, ticket: "monitor", description: "Instalação do segundo monitor da recepção", age: 68 * h,
			to:         serviceorders.StatusApproved,
			activities: []serviceorders.ActivityInput{labour(45, true, "Instalação e configuração de tela estendida"), labour(15, false, "Orientação à recepcionista")}},
		{typ: serviceorders.TypeRemote, ticket: "backup", description: "Correção da rotação de backup", age: 85 * h,
			to:         serviceorders.StatusInvoiced,
			activities: []serviceorders.ActivityInput{labour(120, true, "Correção do script de rotação e backup completo"), note("Cliente acompanhou por vídeo")}},
		{typ: serviceorders.TypeCorrective, description: "Troca de teclado (substituído por garantia)", age: 30 * h,
			to: serviceorders.StatusCancelled},
	}
}

// orders seeds demoOrders, each walked through the workflow to its state
// with the clock at the business time of each step.
func (w *demoWork) orders(ctx context.Context) error {
	agent, admin := w.cast.agent, w.cast.admin
	for i, do := range demoOrders() {
		start := w.ago(do.age)
		w.clock.set(start)
		in := serviceorders.CreateInput{Type: do.typ, TicketID: w.ticketIDs[do.ticket], Description: do.description}
		if do.typ.OnSite() {
			in.Address = "Av. Paulista, 1000 — São Paulo, SP"
		}
		o, err := w.desk.ServiceOrders.Create(ctx, agent, in)
		if err != nil {
			return fmt.Errorf("service order %q: %w", do.description, err)
		}
		w.sum.Orders++
		step := time.Duration(0)
		next := func() { step += 20 * time.Minute; w.clock.set(w.cal.Add(start, step)) }
		move := func(by tenant.Actor, p serviceorders.Patch, to serviceorders.Status) error {
			next()
			p.Status = &to
			if _, err := w.desk.ServiceOrders.Update(ctx, by, o.ID, p); err != nil {
				return fmt.Errorf("moving %s to %s: %w", o.Number, to, err)
			}
			return nil
		}
		rank := map[serviceorders.Status]int{serviceorders.StatusDraft: 0, serviceorders.StatusScheduled: 1,
			serviceorders.StatusInProgress: 2, serviceorders.StatusOnHold: 3, serviceorders.StatusCompleted: 3,
			serviceorders.StatusApproved: 4, serviceorders.StatusInvoiced: 5, serviceorders.StatusCancelled: 1}[do.to]
		if do.to == serviceorders.StatusCancelled {
			if err := move(agent, serviceorders.Patch{Reason: "Teclado trocado pelo fabricante na garantia"}, do.to); err != nil {
				return err
			}
			continue
		}
		if rank >= 1 {
			// Scheduled from the next business morning, two hours.
			day := w.cal.NextOpen(w.cal.Add(start, 10*time.Hour))
			end := day.Add(2 * time.Hour)
			tech := agent.UserID
			if err := move(agent, serviceorders.Patch{TechnicianUserID: &tech, ScheduledStart: &day, ScheduledEnd: &end},
				serviceorders.StatusScheduled); err != nil {
				return err
			}
		}
		if rank >= 2 {
			p := serviceorders.Patch{}
			if do.typ.OnSite() {
				apr := fmt.Sprintf("APR-%d-%03d", w.cast.company.ID, i+1)
				p.APRNumber = &apr
			}
			if err := move(agent, p, serviceorders.StatusInProgress); err != nil {
				return err
			}
		}
		for _, a := range do.activities {
			next()
			if _, err := w.desk.ServiceOrders.AddActivity(ctx, agent, o.ID, a); err != nil {
				return fmt.Errorf("activity on %s: %w", o.Number, err)
			}
			w.sum.Activities++
		}
		if do.part {
			next()
			if _, err := w.desk.ServiceOrders.AddPart(ctx, agent, o.ID, w.stock.memory.ID, 1); err != nil {
				return fmt.Errorf("part on %s: %w", o.Number, err)
			}
			w.sum.Parts++
		}
		switch do.to {
		case serviceorders.StatusOnHold:
			if err := move(agent, serviceorders.Patch{}, do.to); err != nil {
				return err
			}
		case serviceorders.StatusCompleted, serviceorders.StatusApproved, serviceorders.StatusInvoiced:
			if err := move(agent, serviceorders.Patch{}, serviceorders.StatusCompleted); err != nil {
				return err
			}
			if rank >= 4 {
				sign := serviceorders.SignOff{Name: demoName(tenant.RoleRequester), Note: "Serviço conferido"}
				if err := move(agent, serviceorders.Patch{SignOff: &sign}, serviceorders.StatusApproved); err != nil {
					return err
				}
			}
			if rank >= 5 {
				if err := move(admin, serviceorders.Patch{}, serviceorders.StatusInvoiced); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
