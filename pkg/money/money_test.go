package money

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func sum(amounts []float64) float64 {
	var u int64
	for _, a := range amounts {
		u += Units(a)
	}
	return Amount(u)
}

func TestSumIsExactAndOrderIndependent(t *testing.T) {
	amounts := []float64{2292.1}
	for range 10 {
		amounts = append(amounts, 0.1)
	}
	float := 0.0
	for _, a := range amounts {
		float += a
	}
	assert.NotEqual(t, 2293.1, float, "plain float addition is not exact (this is why the package exists)")
	assert.Equal(t, 2293.1, sum(amounts))
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		r.Shuffle(len(amounts), func(i, j int) { amounts[i], amounts[j] = amounts[j], amounts[i] })
		assert.Equal(t, 2293.1, sum(amounts))
	}
	assert.Equal(t, int64(12345), Units(1.2345))
	assert.Equal(t, -0.001, Amount(Units(-0.001)))
	assert.Equal(t, "toInt64(round((revenue) * 10000))", SQLUnits("revenue"))
}
