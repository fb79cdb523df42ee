// Clean shutdown of the chorus tool on SIGINT and SIGTERM.
//
//   BlockTerminationSignals();               // before starting any thread
//   ... start the client ...
//   WatchTerminationSignals([&] { stop(); });
#ifndef CHORUS_CLIENT_CLI_SIGNALS_H_
#define CHORUS_CLIENT_CLI_SIGNALS_H_

#include <functional>

namespace chorus::cli {

// Blocks SIGINT and SIGTERM in the calling thread and so in every thread it
// starts afterwards; call it before any thread starts, or a signal may go
// to a thread that still has the default (terminating) action.
void BlockTerminationSignals();

// Starts a detached thread that waits for SIGINT or SIGTERM (blocked by
// BlockTerminationSignals) and then calls `on_signal` once. `on_signal`
// must stay callable until the process exits.
void WatchTerminationSignals(std::function<void()> on_signal);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_SIGNALS_H_
