package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// slaBatch bounds how many tickets one CheckSLA pass examines.
const slaBatch = 200

// CheckSLA finds the tickets whose SLA may have changed state by now and,
// for each target that became at risk or breached, emits ticket.sla_at_risk
// or ticket.sla_breached exactly once per ticket and target (the flags are
// written in the same unit of work as the events). It returns how many
// events it emitted. A ticket changed concurrently is skipped and looked at
// again on the next pass.
func (s *Service) CheckSLA(ctx context.Context) (int, error) {
	now := s.clock()
	due, err := s.store.TicketsDueForSLACheck(ctx, now, slaBatch)
	if err != nil {
		return 0, fmt.Errorf("finding tickets due for an SLA check: %w", err)
	}
	emitted := 0
	for _, t := range due {
		n, err := s.checkOne(ctx, t, now)
		if errors.Is(err, storage.ErrStale) || errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return emitted, fmt.Errorf("checking the SLA of ticket %d: %w", t.ID, err)
		}
		emitted += n
	}
	return emitted, nil
}

func (s *Service) checkOne(ctx context.Context, seen Ticket, now time.Time) (int, error) {
	emitted := 0
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		emitted = 0
		t, err := tx.TicketByID(ctx, seen.CompanyID, seen.ID)
		if err != nil {
			return err
		}
		if t.Version != seen.Version {
			return storage.ErrStale
		}
		c, err := tx.CompanyByID(ctx, t.CompanyID)
		if err != nil {
			return err
		}
		r := s.refreshSLA(&t, c, now)
		system := tenant.System()
		var breaches []HistoryEntry
		for _, target := range []struct {
			name           string
			st             sla.Status
			atRisk, breach int
		}{
			{"first_response", r.FirstResponse, FlagResponseAtRisk, FlagResponseBreached},
			{"resolution", r.Resolution, FlagResolutionAtRisk, FlagResolutionBreached},
		} {
			var typ string
			var flag int
			switch {
			case target.st.State == sla.StateBreached && t.SLAFlags&target.breach == 0:
				typ, flag = "ticket.sla_breached", target.breach|target.atRisk
			case target.st.State == sla.StateAtRisk && t.SLAFlags&target.atRisk == 0:
				typ, flag = "ticket.sla_at_risk", target.atRisk
			default:
				continue
			}
			t.SLAFlags |= flag
			if typ == "ticket.sla_breached" {
				breaches = append(breaches, entry(t, system, now, HistorySLABreached, target.name, "",
					target.st.Due.UTC().Format(time.RFC3339), ""))
			}
			data := ticketData(t)
			data["target"] = target.name
			data["due_at"] = target.st.Due.UTC()
			if err := emit(ctx, tx, system, typ, t, now, data); err != nil {
				return err
			}
			emitted++
		}
		if err := tx.UpdateTicket(ctx, &t); err != nil {
			return err
		}
		return tx.AppendTicketHistory(ctx, breaches...)
	})
	return emitted, err
}

// Analytics reports on the actor's company for tickets created in [from,
// to), with escalation recommendations. It needs tenant.PermAnalyticsRead.
func (s *Service) Analytics(ctx context.Context, actor tenant.Actor, from, to time.Time) (Analytics, error) {
	if err := actor.RequireIn(tenant.PermAnalyticsRead); err != nil {
		return Analytics{}, err
	}
	if !to.After(from) {
		return Analytics{}, fieldErr("to", "must be after from")
	}
	c, err := s.store.CompanyByID(ctx, actor.CompanyID)
	if err != nil {
		return Analytics{}, err
	}
	cal, _ := s.slaConfig(c)
	now := s.clock()
	q := AnalyticsQuery{From: from.UTC(), To: to.UTC(), Now: now, Location: cal.Location(),
		StaleBefore: businessHoursAgo(cal, now, s.staleHours), AgentCapacity: s.capacity}
	return s.store.Analytics(ctx, actor.CompanyID, q)
}

// ActiveCounts counts the actor's company's active tickets by status,
// priority and SLA state, whenever they were created (Analytics counts
// the tickets created in its window). It needs tenant.PermAnalyticsRead.
func (s *Service) ActiveCounts(ctx context.Context, actor tenant.Actor) ([]ActiveCount, error) {
	if err := actor.RequireIn(tenant.PermAnalyticsRead); err != nil {
		return nil, err
	}
	out, err := s.store.ActiveCounts(ctx, actor.CompanyID)
	if err != nil {
		return nil, fmt.Errorf("counting active tickets: %w", err)
	}
	return out, nil
}

// businessHoursAgo returns the latest instant t with d of business time in
// [t, now), found by bisection over the calendar (at most 60 days back).
func businessHoursAgo(cal sla.Calendar, now time.Time, d time.Duration) time.Time {
	lo, hi := now.Add(-60*24*time.Hour), now
	if cal.Between(lo, now) < d {
		return lo
	}
	for hi.Sub(lo) > time.Minute {
		mid := lo.Add(hi.Sub(lo) / 2)
		if cal.Between(mid, now) >= d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}
