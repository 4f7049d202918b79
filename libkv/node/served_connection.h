// ServedConnection: what the Node needs of each connection it accepted, whichever protocol it
// speaks (Connection: the kv wire protocol; HttpConnection: the HTTP API), so that one count
// bounds them (--max-connections, --max-connections-per-address) and one graceful stop ends
// them. Both methods may be called from any thread (they post to the connection's executor).
#pragma once

namespace kv {

class ServedConnection {
 public:
  virtual ~ServedConnection() = default;
  // Stop reading requests; answer those already read, then close.
  virtual void StopReading() = 0;
  // Close the socket now; requests in flight finish but go unanswered.
  virtual void Abort() = 0;
};

}  // namespace kv
