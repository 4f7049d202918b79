#include "libkv/replication/dot_reservation.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace kv {

namespace {

constexpr std::string_view kHeader = "kv-dot-reservation 1\n";

// "name=value\n" at the front of `text`, consumed; false when it is not there.
bool TakeField(std::string_view* text, std::string_view name, std::string_view* value) {
  if (!text->starts_with(name) || text->size() <= name.size() || (*text)[name.size()] != '=')
    return false;
  text->remove_prefix(name.size() + 1);
  const size_t end = text->find('\n');
  if (end == std::string_view::npos) return false;
  *value = text->substr(0, end);
  text->remove_prefix(end + 1);
  return true;
}

}  // namespace

std::string EncodeDotReservation(ClockId clock_id, uint64_t reserved_through) {
  return fmt::format("{}clock_id={}\nreserved_through={}\n", kHeader, ClockIdToHex(clock_id),
                     reserved_through);
}

Result<DotReservationRecord> DecodeDotReservation(std::string_view text) {
  auto bad = [](std::string_view why) {
    return Status::Corruption(fmt::format("the DOTS file is malformed: {}", why));
  };
  if (!text.starts_with(kHeader)) return bad("it does not start with 'kv-dot-reservation 1'");
  text.remove_prefix(kHeader.size());
  DotReservationRecord out;
  std::string_view clock, through;
  if (!TakeField(&text, "clock_id", &clock) || clock.size() != 16)
    return bad("no 'clock_id=' line of 16 hex digits");
  auto [cp, cec] = std::from_chars(clock.data(), clock.data() + clock.size(), out.clock_id, 16);
  if (cec != std::errc() || cp != clock.data() + clock.size() || out.clock_id == 0)
    return bad("clock_id is not 16 hex digits");
  if (!TakeField(&text, "reserved_through", &through) || through.empty())
    return bad("no 'reserved_through=' line");
  auto [tp, tec] =
      std::from_chars(through.data(), through.data() + through.size(), out.reserved_through);
  if (tec != std::errc() || tp != through.data() + through.size())
    return bad("reserved_through is not a decimal number");
  if (!text.empty()) return bad("trailing bytes");
  return out;
}

Result<std::unique_ptr<DotReservation>> DotReservation::Open(Env* env, const std::string& dir,
                                                             ClockId clock_id, uint64_t block) {
  std::unique_ptr<DotReservation> dots(new DotReservation(env, dir + "/DOTS", clock_id, block));
  uint64_t reserved = 0;
  if (env->FileExists(dots->path_)) {
    KV_ASSIGN_OR_RETURN(std::string text, env->ReadFileToString(dots->path_));
    Result<DotReservationRecord> record = DecodeDotReservation(text);
    if (!record.ok())
      return record.status().WithContext(fmt::format(
          "{} (it keeps this node from reissuing dots: remove it only together with IDENTITY, "
          "so the node takes a new clock id)",
          dots->path_));
    // A file for another clock id speaks of counters this one never issued.
    if (record->clock_id == clock_id) reserved = record->reserved_through;
  }
  if (reserved == std::numeric_limits<uint64_t>::max())
    return Status::Corruption(fmt::format("{}: every counter is reserved already", dots->path_));
  std::lock_guard lock(dots->mu_);
  dots->next_ = reserved + 1;
  dots->reserved_ = reserved;
  KV_RETURN_IF_ERROR(dots->ReserveThroughLocked(dots->next_));
  return dots;
}

Result<uint64_t> DotReservation::Next() {
  std::lock_guard lock(mu_);
  KV_RETURN_IF_ERROR(ReserveThroughLocked(next_));
  return next_;
}

Status DotReservation::Issued(uint64_t counter) {
  std::lock_guard lock(mu_);
  if (counter < next_) return Status::Ok();
  if (counter == std::numeric_limits<uint64_t>::max())
    return Status::InvalidArgument("a dot counter at its maximum cannot be followed");
  KV_RETURN_IF_ERROR(ReserveThroughLocked(counter));
  next_ = counter + 1;
  return Status::Ok();
}

uint64_t DotReservation::issued_through() const {
  std::lock_guard lock(mu_);
  // Every counter issued so far is below next_: a restart begins past the last reserved block.
  return next_ - 1;
}

uint64_t DotReservation::reserved_through() const {
  std::lock_guard lock(mu_);
  return reserved_;
}

Status DotReservation::ReserveThroughLocked(uint64_t through) {
  if (through <= reserved_) return Status::Ok();
  const uint64_t target = through > std::numeric_limits<uint64_t>::max() - block_
                              ? std::numeric_limits<uint64_t>::max()
                              : through + block_ - 1;
  Status s = env_->WriteFileAtomically(path_, EncodeDotReservation(clock_id_, target));
  if (!s.ok()) return s.WithContext("reserving dot counters");
  reserved_ = target;
  return Status::Ok();
}

}  // namespace kv
