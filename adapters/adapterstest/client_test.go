package adapterstest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lonelyleaf/surgemq/adapters"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		filter, name string
		want         bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/+", "a/b", true},
		{"a/+", "a/b/c", false},
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"#", "a/b", true},
		{"+/+", "/b", true},
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/x", true},
		{"a/b/c", "a/b", false},
	} {
		require.Equal(t, tc.want, Match(tc.filter, tc.name), "%s vs %s", tc.filter, tc.name)
	}
	require.True(t, ValidFilter("a/+/#"))
	require.False(t, ValidFilter("a/#/b"))
	require.False(t, ValidFilter("a/b+"))
	require.False(t, ValidTopic("a/+"))
	require.False(t, ValidTopic(""))
}

func TestPublishRecordsAndRetains(t *testing.T) {
	c := New()
	ctx := context.Background()
	require.NoError(t, c.Publish(ctx, "s/x", []byte("on"), 1, true))
	require.NoError(t, c.Publish(ctx, "s/y", []byte("1"), 0, false))
	require.ErrorIs(t, c.Publish(ctx, "s/+", nil, 0, false), ErrInvalidTopic)
	require.ErrorIs(t, c.Publish(ctx, "s/z", nil, 3, false), ErrInvalidQoS)
	require.Len(t, c.Messages(), 2)
	m, ok := c.Retained("s/x")
	require.True(t, ok)
	require.Equal(t, adapters.Message{Topic: "s/x", Payload: []byte("on"), QoS: 1, Retain: true}, m)
	_, ok = c.Retained("s/y")
	require.False(t, ok)
	require.NoError(t, c.Publish(ctx, "s/x", nil, 1, true)) // clears
	_, ok = c.Retained("s/x")
	require.False(t, ok)

	boom := errors.New("boom")
	c.SetPublishError(boom)
	require.ErrorIs(t, c.Publish(ctx, "s/x", nil, 0, false), boom)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, c.Publish(cctx, "s/x", nil, 0, false), context.Canceled)
}

func TestSubscribeInjectAndStop(t *testing.T) {
	c := New()
	c.Inject("ha/status", []byte("online"), true)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []adapters.Message
	_, err := c.Subscribe(ctx, "ha/#", 0, func(m adapters.Message) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})
	require.NoError(t, err)
	require.True(t, c.Subscribed("ha/#"))
	require.Equal(t, 1, c.Inject("ha/x", []byte("1"), false))
	require.NoError(t, c.Publish(ctx, "ha/y", []byte("2"), 0, true))
	require.Equal(t, 0, c.Inject("other", []byte("3"), false))
	require.True(t, c.Wait(5*time.Second, c.Idle))
	mu.Lock()
	require.Equal(t, []adapters.Message{
		{Topic: "ha/status", Payload: []byte("online"), Retain: true},
		{Topic: "ha/x", Payload: []byte("1")},
		{Topic: "ha/y", Payload: []byte("2")},
	}, got)
	mu.Unlock()

	cancel()
	require.True(t, c.Wait(5*time.Second, func() bool { return !c.Subscribed("ha/#") }))
	require.Equal(t, 0, c.Inject("ha/x", []byte("1"), false))

	unsub, err := c.Subscribe(context.Background(), "t", 0, func(adapters.Message) {})
	require.NoError(t, err)
	require.Equal(t, []string{"t"}, c.Subscriptions())
	unsub()
	unsub()
	require.Empty(t, c.Subscriptions())
	_, err = c.Subscribe(context.Background(), "a/#/b", 0, func(adapters.Message) {})
	require.ErrorIs(t, err, ErrInvalidFilter)
}
