package ai_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/ai"
)

// BenchmarkTrain trains on a full default training set (2,000 resolved
// tickets), held-out evaluation included.
func BenchmarkTrain(b *testing.B) {
	samples := synthetic(ai.DefaultTrainingLimit, 11)
	b.ReportAllocs()
	for b.Loop() {
		ai.Train(samples, 0)
	}
}

// BenchmarkClassify classifies one ticket with a model trained on 2,000.
func BenchmarkClassify(b *testing.B) {
	m := ai.Train(synthetic(ai.DefaultTrainingLimit, 11), 0)
	in := ai.Input{Title: "VPN desconectando toda hora", Description: "bom dia, não consigo trabalhar. obrigado"}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = m.Classify(b.Context(), in)
	}
}

func TestAccuracyOnTheDefaultTrainingSet(t *testing.T) {
	t.Parallel()
	ev := ai.Train(synthetic(ai.DefaultTrainingLimit, 11), 0).Evaluation()
	t.Logf("held-out accuracy on %d synthetic tickets (10%% label noise): category %.3f, priority %.3f",
		ev.Trained+ev.HeldOut, ev.CategoryAccuracy, ev.PriorityAccuracy)
	// One sample in ten carries a random label (a right one by chance one
	// time in five or four), so about 0.92 is the ceiling.
	require.GreaterOrEqual(t, ev.CategoryAccuracy, 0.85)
	require.GreaterOrEqual(t, ev.PriorityAccuracy, 0.8)
}
