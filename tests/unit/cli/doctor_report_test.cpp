// What `loupe doctor -o json` and GET /api/v1/doctor share: the checks in
// order, their JSON, and which checks a bare server runs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "../store/temp_dir.h"
#include "cli/doctor/report.h"

namespace loupe::cli::doctor {
namespace {

TEST(DoctorReport, JsonNamesEachCheckWithStatusDetailAndFix) {
  nlohmann::json j = report_json({{"BTF", Status::Fail, "missing", "rebuild the kernel"},
                                  {"kernel version", Status::Pass, "6.18", ""},
                                  {"server reachable", Status::Skip, "no --server", ""}});
  EXPECT_FALSE(j["ok"]);
  ASSERT_EQ(j["checks"].size(), 3u);
  EXPECT_EQ(j["checks"][0], (nlohmann::json{{"name", "BTF"},
                                            {"status", "fail"},
                                            {"detail", "missing"},
                                            {"fix", "rebuild the kernel"}}));
  EXPECT_EQ(j["checks"][1]["status"], "pass");
  EXPECT_EQ(j["checks"][2]["status"], "skip");
  EXPECT_TRUE(j["canary_record"].is_null());
}

TEST(DoctorReport, SkippedChecksDoNotFail) {
  EXPECT_TRUE(report_json({{"a", Status::Pass, "", ""}, {"b", Status::Skip, "", ""}})["ok"]);
  EXPECT_TRUE(all_passed({}));
  EXPECT_FALSE(all_passed({{"a", Status::Pass, "", ""}, {"b", Status::Fail, "", "x"}}));
}

TEST(DoctorReport, CaptureChecksRunInTheDocumentedOrder) {
  Options o;
  o.btf_path = "/nonexistent/vmlinux";
  o.data_dir = "/nonexistent-parent/loupe";
  std::vector<std::string> names;
  for (const auto& r : capture_checks(o)) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "kernel version", "BTF", "tracefs mounted", "capabilities",
                       "raw tracepoints and ring buffers", "memlock", "cgroup layout",
                       "libssl found", "disassembler loadable", "data directory writable",
                       "server reachable, token accepted", "Kubernetes API reachable"}));
  nlohmann::json j = report_json(capture_checks(o));
  EXPECT_FALSE(j["ok"]);  // no BTF at that path
  EXPECT_EQ(j["checks"][1]["status"], "fail");
  EXPECT_NE(j["checks"][1]["fix"].get<std::string>().find("CONFIG_DEBUG_INFO_BTF"),
            std::string::npos);
  EXPECT_EQ(j["checks"][10]["status"], "skip");  // no --server
}

TEST(DoctorReport, ServerChecksOnlyItsDataDirectory) {
  testing::TempDir dir;
  auto ok = server_checks({.data_dir = dir.path()});
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].name, "data directory writable");
  EXPECT_EQ(ok[0].status, Status::Pass);
  // A file where the directory should be: not writable as a directory,
  // whoever runs the test.
  std::string file = dir.path() + "/not-a-dir";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_TRUE(f);
  fclose(f);
  auto bad = server_checks({.data_dir = file + "/data"});
  EXPECT_EQ(bad[0].status, Status::Fail);
  EXPECT_NE(bad[0].fix.find("--data-dir"), std::string::npos);
}

}  // namespace
}  // namespace loupe::cli::doctor
