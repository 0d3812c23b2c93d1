package natsembed

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// serverLogger adapts slog to nats-server's Logger interface. It also keeps
// the first fatal message: nats-server reports start-up failures (a port in
// use, a store it cannot open) only through Fatalf, and Start turns that
// into an error.
type serverLogger struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal string
	fatCh chan struct{} // closed at the first Fatalf
}

func newServerLogger(log *slog.Logger) *serverLogger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &serverLogger{log: log, fatCh: make(chan struct{})}
}

func (l *serverLogger) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, v...))
}

func (l *serverLogger) Noticef(format string, v ...any) { l.emit(slog.LevelInfo, format, v) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.emit(slog.LevelWarn, format, v) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }
func (l *serverLogger) Debugf(string, ...any)           {}
func (l *serverLogger) Tracef(string, ...any)           {}

// Fatalf logs at Error and records the message; unlike nats-server's own
// logger it never exits the process.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fatal == "" {
		l.fatal = msg
		close(l.fatCh)
	}
}

// fatalMsg returns the first fatal message, or "".
func (l *serverLogger) fatalMsg() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}
