-- Ticket numbers come from one sequence per company, ticket_numbers_<id>,
-- drawn by the ticket's INSERT (nextval), instead of the counter row that
-- the creating unit of work locked until its commit: that lock made each
-- company's creations commit one at a time, fsync after fsync. Numbers stay
-- unique and increasing per company; a creation that fails after its
-- INSERT leaves a gap. The store creates the sequence with the company, and
-- a restore moves it past the company's highest number.
DO $$
DECLARE
    c RECORD;
BEGIN
    FOR c IN SELECT companies.id, COALESCE(ticket_counters.next_number, 1) AS next_number
             FROM companies LEFT JOIN ticket_counters ON ticket_counters.company_id = companies.id
    LOOP
        EXECUTE format('CREATE SEQUENCE %I START WITH %s', 'ticket_numbers_' || c.id, c.next_number);
    END LOOP;
END
$$;
--bun:split
DROP TABLE ticket_counters;
