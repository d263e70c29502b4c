// Package ai is Boladão's classification gateway: a Classifier suggests a
// ticket's category, priority, urgency and first reply with a confidence,
// and the Applier applies confident suggestions to new tickets.
//
// Two classifiers implement the interface:
//
//   - Builtin, offline: multinomial naive Bayes over the words of title and
//     description (folded, without stopwords), one model for the category
//     and one for the priority, learnt from the company's own resolved
//     tickets. The Service reads at most DefaultTrainingLimit of them,
//     newest first, through one bounded store query, and retrains every
//     DefaultRetrainInterval. Below DefaultMinSamples it classifies by
//     keywords (Portuguese and English) with modest confidences. Train
//     reports its accuracy on held-out tickets (every fifth).
//   - ChatClient: any OpenAI-compatible chat-completions endpoint (base
//     URL, model and key configurable), asked for a JSON object, with
//     timeouts and typed errors (*APIError, ErrBadResponse).
//
// Service keeps per-company settings (provider, base URL, model, a
// write-only key, enabled, threshold), reports status and classifies on
// demand. Applier.Handle(ctx, event) is meant to be subscribed to the
// event bus for ticket.created: for companies that enabled the gateway it
// sets the category (when the ticket has none) and the priority (when it
// is still the default) only where the confidence reaches the threshold,
// and stores the suggestion as an internal note. It runs after the ticket
// was committed, so it never holds up ticket creation.
package ai
