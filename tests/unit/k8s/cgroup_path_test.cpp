#include "k8s/cgroup_path.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using loupe::k8s::parse_cgroup_path;
using loupe::k8s::parse_proc_cgroup;

namespace {
const std::string kId = "0f3a9c1e2b4d5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c";
const std::string kUid = "5b0e1f3c-8a7d-4e2b-9c6f-1a2b3c4d5e6f";
const std::string kUidSystemd = "5b0e1f3c_8a7d_4e2b_9c6f_1a2b3c4d5e6f";
}  // namespace

TEST(CgroupPath, SystemdContainerdBurstable) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                              kUidSystemd + ".slice/cri-containerd-" + kId + ".scope");
  EXPECT_EQ(id.container_id, kId);
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.runtime, "containerd");
  EXPECT_EQ(id.qos, "burstable");
}

TEST(CgroupPath, SystemdContainerdBestEffort) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                              kUidSystemd + ".slice/cri-containerd-" + kId + ".scope");
  EXPECT_EQ(id.qos, "besteffort");
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.container_id, kId);
}

TEST(CgroupPath, SystemdGuaranteedSitsUnderKubepods) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd +
                              ".slice/cri-containerd-" + kId + ".scope");
  EXPECT_EQ(id.qos, "guaranteed");
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.runtime, "containerd");
}

TEST(CgroupPath, SystemdCrio) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                              kUidSystemd + ".slice/crio-" + kId + ".scope");
  EXPECT_EQ(id.runtime, "cri-o");
  EXPECT_EQ(id.container_id, kId);
  EXPECT_EQ(id.pod_uid, kUid);
}

TEST(CgroupPath, CrioWithCrunNestedContainerCgroup) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/crio-" + kId +
                              ".scope/container");
  EXPECT_EQ(id.runtime, "cri-o");
  EXPECT_EQ(id.container_id, kId);
}

TEST(CgroupPath, CrioConmonIsNotTheContainer) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/crio-conmon-" +
                              kId + ".scope");
  EXPECT_EQ(id.container_id, "");
  EXPECT_EQ(id.pod_uid, kUid);  // still the pod
}

TEST(CgroupPath, SystemdDocker) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                              kUidSystemd + ".slice/docker-" + kId + ".scope");
  EXPECT_EQ(id.runtime, "docker");
  EXPECT_EQ(id.container_id, kId);
}

TEST(CgroupPath, PlainDockerSystemdAndCgroupfs) {
  auto a = parse_cgroup_path("/system.slice/docker-" + kId + ".scope");
  EXPECT_EQ(a.runtime, "docker");
  EXPECT_EQ(a.container_id, kId);
  EXPECT_EQ(a.pod_uid, "");
  EXPECT_EQ(a.qos, "");
  auto b = parse_cgroup_path("/docker/" + kId);
  EXPECT_EQ(b.runtime, "docker");
  EXPECT_EQ(b.container_id, kId);
}

TEST(CgroupPath, CgroupfsDriver) {
  auto id = parse_cgroup_path("/kubepods/burstable/pod" + kUid + "/" + kId);
  EXPECT_EQ(id.qos, "burstable");
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.container_id, kId);
  EXPECT_EQ(id.runtime, "");  // not in the path; the store knows it from containerID
  auto g = parse_cgroup_path("/kubepods/pod" + kUid + "/" + kId);
  EXPECT_EQ(g.qos, "guaranteed");
  EXPECT_EQ(g.container_id, kId);
}

TEST(CgroupPath, PauseOrPodLevelOnly) {
  auto id = parse_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                              kUidSystemd + ".slice");
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.container_id, "");
}

TEST(CgroupPath, KindNestedKubelet) {
  auto id = parse_cgroup_path(
      "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
      "kubelet-kubepods-besteffort-pod" +
      kUidSystemd + ".slice/cri-containerd-" + kId + ".scope");
  EXPECT_EQ(id.qos, "besteffort");
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.container_id, kId);
}

TEST(CgroupPath, ContainerdCgroupsPathNotation) {
  auto id = parse_cgroup_path("/system.slice/containerd.service/kubepods-burstable-pod" +
                              kUidSystemd + ".slice:cri-containerd:" + kId);
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.container_id, kId);
  EXPECT_EQ(id.runtime, "containerd");
}

TEST(CgroupPath, HostProcessesAndJunk) {
  EXPECT_TRUE(parse_cgroup_path("/").empty());
  EXPECT_TRUE(parse_cgroup_path("/user.slice/user-1000.slice/session-3.scope").empty());
  EXPECT_TRUE(parse_cgroup_path("/system.slice/containerd.service").empty());
  EXPECT_TRUE(parse_cgroup_path("/kubepods/burstable/podnotauid/xyz").empty());
  EXPECT_TRUE(parse_cgroup_path("").empty());
  EXPECT_TRUE(parse_cgroup_path(":::://///").empty());
  EXPECT_TRUE(
      parse_cgroup_path("/kubepods.slice/kubepods-pod.slice/cri-containerd-.scope").empty());
}

TEST(ProcCgroup, V2) {
  auto id = parse_proc_cgroup("0::/kubepods.slice/kubepods-pod" + kUidSystemd +
                              ".slice/cri-containerd-" + kId + ".scope\n");
  EXPECT_EQ(id.container_id, kId);
}

TEST(ProcCgroup, V1EveryControllerAndHybrid) {
  std::string p = "/kubepods/besteffort/pod" + kUid + "/" + kId;
  std::string v1 = "12:memory:" + p + "\n11:cpu,cpuacct:" + p + "\n1:name=systemd:" + p + "\n";
  auto id = parse_proc_cgroup(v1);
  EXPECT_EQ(id.container_id, kId);
  EXPECT_EQ(id.qos, "besteffort");
  // Hybrid: the unified line is "/" inside a v1 host; the v1 lines still carry the ids.
  auto h = parse_proc_cgroup("0::/\n" + v1);
  EXPECT_EQ(h.container_id, kId);
  EXPECT_EQ(h.pod_uid, kUid);
}

TEST(ProcCgroup, PodOnlyKeptWhenNoContainer) {
  auto id = parse_proc_cgroup("0::/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice\n");
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_TRUE(parse_proc_cgroup("0::/init.scope\n").empty());
  EXPECT_TRUE(parse_proc_cgroup("garbage\nno colons here\n1:x").empty());
}

TEST(ResolvePid, ReadsProcFile) {
  auto dir = std::filesystem::temp_directory_path() / ("loupe-proc-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "42");
  std::ofstream(dir / "42" / "cgroup") << "0::/system.slice/docker-" << kId << ".scope\n";
  auto id = loupe::k8s::resolve_pid(42, dir.string());
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->runtime, "docker");
  EXPECT_FALSE(loupe::k8s::resolve_pid(43, dir.string()).has_value());
  std::filesystem::remove_all(dir);
  // This process is real: reading it must not fail.
  EXPECT_TRUE(loupe::k8s::resolve_pid(static_cast<uint32_t>(getpid())).has_value());
}
