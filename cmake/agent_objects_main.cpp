// The entry point of loupe_agent_objects (CMakeLists.txt): an executable
// that links every object of the agent's libraries whole, so a build for
// another architecture (scripts/cross-build-arm64.sh --agent) proves they
// compile and that everything they call resolves. It is built, never run.
int main() { return 0; }
