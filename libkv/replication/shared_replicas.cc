#include "libkv/replication/shared_replicas.h"

#include <algorithm>

namespace kv {

namespace {

bool Names(const std::vector<std::string>& ids, std::string_view id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

SharedReplicas::SharedReplicas(const ClusterView& view, size_t n,
                               const std::vector<std::string>& nodes) {
  ends_ = view.ring->Tokens();
  if (view.changing()) {
    std::vector<Token> future = view.future->Tokens();
    ends_.insert(ends_.end(), future.begin(), future.end());
    std::sort(ends_.begin(), ends_.end());
  }
  ends_.erase(std::unique(ends_.begin(), ends_.end()), ends_.end());
  for (const Token end : ends_) {
    const std::vector<std::string> write_set = view.WriteSetForToken(end, n);
    std::vector<uint32_t>& sharing = sharing_.emplace_back();
    if (!Names(write_set, view.self)) continue;
    for (uint32_t i = 0; i < nodes.size(); ++i)
      if (Names(write_set, nodes[i])) sharing.push_back(i);
  }
}

const std::vector<uint32_t>& SharedReplicas::Of(Token token) const {
  static const std::vector<uint32_t> kNobody;
  if (ends_.empty()) return kNobody;
  auto it = std::lower_bound(ends_.begin(), ends_.end(), token);
  return sharing_[it == ends_.end() ? 0 : static_cast<size_t>(it - ends_.begin())];
}

}  // namespace kv
