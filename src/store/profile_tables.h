// CPU profiles in the store (docs/profiling.md, "Storage"): aggregated
// stacks per process per minute, never raw samples, with every chain and
// frame name stored once.
//   profile_frames(id, name)          one row per distinct frame name
//   profile_stacks(id, frames)        one row per distinct chain: its frame
//                                     ids, root first, as 4-byte integers
//   profile_entities(id, node, pid, process, namespace, pod, container, workload)
//   profile_samples(minute, entity, stack, samples)
//                                     samples per chain per entity per minute;
//                                     a minute sent in parts adds up
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile_minute.h"
#include "core/text_hash.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

class ProfileTables {
 public:
  ProfileTables() = default;
  explicit ProfileTables(Db& wdb);  // creates the tables, prepares statements

  // Inside the caller's transaction; call rolled_back() if it is undone.
  // Returns the samples stored.
  uint64_t write(const std::vector<ProfileMinute>& minutes);
  void rolled_back() { forget_ids(); }
  // Deletes the minutes that ended before cutoff_s (unix seconds).
  void delete_before(int64_t cutoff_s);
  // Deletes the chains, frames and entities no minute uses any more (a
  // scan of the sample table: retention's slow part, run rarely).
  void sweep_unused();

  static ProfileStacks query(Db& db, const ProfileQuery& q);

 private:
  int64_t frame_id(std::string_view name);
  int64_t stack_id(const std::string& frames_blob);
  int64_t entity_id(const ProfileEntity& e);
  void forget_ids();

  Db* db_ = nullptr;
  Stmt select_frame_, insert_frame_, select_stack_, insert_stack_, select_entity_, insert_entity_,
      upsert_samples_;
  // Ids already looked up, so a batch repeating the same chains costs map
  // lookups; cleared when they grow past a bound or may be stale. Looked
  // up by string_view: a chain's frames are found as views into it,
  // without a string built per frame (store_bench --profile-parts).
  TextMap<int64_t> frame_ids_, stack_ids_, entity_ids_;
};

}  // namespace loupe::store
