"""The sandbox attacks replayed in JavaScript, C++, Java, Go and Rust (the programs run through the language
framework, `assay.sandbox.program.run_program`, in the real sandbox): network, files, fork storm, memory,
CPU, output flood, a detached grandchild, and attacks at compile time (a C++ `#include` of a host file, of
an endless device, an error flood; a Java annotation processor; Go's `//go:embed` of a host file and cgo;
Rust's `include_str!`/`#[path]` of host files and a procedural macro).
Each is contained and reported; the host is unharmed."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest

from assay.sandbox import BubblewrapSandbox, Limits
from assay.sandbox.program import ProgramResult, run_program
from tests.sandbox.conftest import require_language
from tests.sandbox.test_containment import _processes_with, _uid_processes

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]  # compiles and attack replays: tens of seconds, out of the fast loop
LIMITS = Limits(cpu_seconds=2, wall_seconds=6, memory_bytes=256 << 20, max_processes=16,
                max_output_bytes=64 << 10)
LANGS = ["javascript", "cpp", "java", "go", "rust"]
JS_MAIN = "console.assert(attack() === undefined)"
CPP_HEAD = ("#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n#include <string>\n#include <vector>\n"
            "#include <unistd.h>\n#include <fcntl.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n"
            "#include <arpa/inet.h>\n#include <errno.h>\n")
CPP_MAIN = "int main() {\n    attack();\n}"
JAVA_HEAD = "import java.io.*;\nimport java.net.*;\nimport java.nio.file.*;\nimport java.util.*;\n\nclass Solution {\n"
JAVA_MAIN = ("public class Main {\n    public static void main(String[] args) throws Exception {\n"
             "        Solution.attack();\n    }\n}\n")
GO_HEAD = ('import (\n    "fmt"\n    "net"\n    "os"\n    "os/exec"\n    "strings"\n    "syscall"\n    "time"\n)\n\n'
           "var _ = []any{fmt.Sprint, net.Dial, os.Exit, exec.Command, strings.Repeat, syscall.Getpid, time.Sleep}\n")
GO_MAIN = "func TestAttack(t *testing.T) {\n    attack()\n}\n"
RUST_HEAD = ("#![allow(unused_imports)]\nuse std::io::{Read, Write};\nuse std::net::TcpStream;\nuse std::process::Command;\n"
             "use std::time::Duration;\n")
RUST_MAIN = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn attack() {\n        super::attack();\n    }\n}\n"


@pytest.fixture(scope="module")
def sandbox() -> BubblewrapSandbox:
    return BubblewrapSandbox()


def _run(sandbox: BubblewrapSandbox, language: str, code: str, limits: Limits = LIMITS) -> ProgramResult:
    require_language(language)
    if language == "cpp":
        return run_program(sandbox, "cpp", CPP_HEAD + code, CPP_MAIN, limits)
    if language == "java":
        return run_program(sandbox, "java", JAVA_HEAD + code + "\n}\n", JAVA_MAIN, limits)
    if language == "go":
        return run_program(sandbox, "go", GO_HEAD + code, GO_MAIN, limits)
    if language == "rust":
        return run_program(sandbox, "rust", RUST_HEAD + code, RUST_MAIN, limits)
    return run_program(sandbox, "javascript", code, JS_MAIN, limits)


@pytest.mark.parametrize("language", LANGS)
def test_no_network_even_to_host_loopback(sandbox: BubblewrapSandbox, language: str) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    code = {
        "javascript": f"""
const cp = require('child_process');
function attack() {{
  for (const host of ['127.0.0.1', '10.0.2.2', '8.8.8.8']) {{
    const r = cp.spawnSync('/usr/bin/node', ['-e', `const s = require('net').connect({port}, '${{host}}', () => {{
      s.write('escaped'); console.log('CONNECTED'); s.end(); }}); s.on('error', e => console.log('blocked', e.code));
      setTimeout(() => process.exit(0), 1500);`]);
    process.stdout.write(String(r.stdout));
  }}
}}""",
        "cpp": f"""
void attack() {{
    for (const char* host : {{"127.0.0.1", "10.0.2.2", "8.8.8.8"}}) {{
        int s = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{{}}; a.sin_family = AF_INET; a.sin_port = htons({port}); inet_pton(AF_INET, host, &a.sin_addr);
        if (connect(s, (sockaddr*)&a, sizeof a) == 0) {{ write(s, "escaped", 7); std::puts("CONNECTED"); }}
        else std::printf("blocked %s\\n", std::strerror(errno));
        close(s);
    }}
}}""",
        "java": f"""
    static void attack() {{
        for (String host : new String[]{{"127.0.0.1", "10.0.2.2", "8.8.8.8"}}) {{
            try (Socket s = new Socket()) {{
                s.connect(new InetSocketAddress(host, {port}), 1000);
                s.getOutputStream().write("escaped".getBytes()); System.out.println("CONNECTED");
            }} catch (IOException e) {{ System.out.println("blocked " + e); }}
        }}
    }}""",
        "go": f"""
func attack() {{
    for _, host := range []string{{"127.0.0.1", "10.0.2.2", "8.8.8.8"}} {{
        c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", host, {port}), time.Second)
        if err == nil {{ c.Write([]byte("escaped")); fmt.Println("CONNECTED"); c.Close() }} else {{ fmt.Println("blocked", err) }}
    }}
}}""",
        "rust": f"""
fn attack() {{
    for host in ["127.0.0.1", "10.0.2.2", "8.8.8.8"] {{
        let addr = format!("{{}}:{port}", host).parse().unwrap();
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {{
            Ok(mut s) => {{ let _ = s.write_all(b"escaped"); println!("CONNECTED"); }}
            Err(e) => println!("blocked {{}}", e),
        }}
    }}
}}""",
    }[language]
    try:
        r = _run(sandbox, language, code, Limits(cpu_seconds=5, wall_seconds=15, memory_bytes=512 << 20))
        arrived = []
        try:
            conn, _ = listener.accept()
            arrived.append(conn.recv(100))
        except TimeoutError:
            pass
    finally:
        listener.close()
    assert arrived == []
    assert "CONNECTED" not in r.stdout and r.stdout.count("blocked") == 3, (r.status, r.stdout, r.message)


@pytest.mark.parametrize("language", LANGS)
def test_host_files_are_unreadable_and_writes_do_not_reach_the_host(sandbox: BubblewrapSandbox, language: str,
                                                                    tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host-secret-" + uuid.uuid4().hex)
    token = uuid.uuid4().hex
    reads = ["/etc/shadow", str(secret), "/root/.bashrc", str(Path.cwd() / "pyproject.toml")]
    writes = [f"/usr/assay-{token}", f"/etc/assay-{token}", f"/assay-{token}", f"{tmp_path}/assay-{token}"]
    js_list = lambda xs: "[" + ", ".join(f"'{x}'" for x in xs) + "]"
    c_list = lambda xs: "{" + ", ".join(f'"{x}"' for x in xs) + "}"
    code = {
        "javascript": f"""
const fs = require('fs');
function attack() {{
  for (const p of {js_list(reads)}) {{ try {{ console.log('READ', fs.readFileSync(p, 'utf8')); }} catch (e) {{ console.log('denied', e.code); }} }}
  for (const p of {js_list(writes)}) {{ try {{ fs.writeFileSync(p, 'x'); console.log('WROTE', p); }} catch (e) {{ console.log('denied', e.code); }} }}
}}""",
        "cpp": f"""
void attack() {{
    for (const char* p : {c_list(reads)}) {{
        FILE* f = std::fopen(p, "r");
        if (f) {{ char buf[200] = {{0}}; std::fread(buf, 1, 199, f); std::printf("READ %s\\n", buf); std::fclose(f); }}
        else std::printf("denied %s\\n", std::strerror(errno));
    }}
    for (const char* p : {c_list(writes)}) {{
        FILE* f = std::fopen(p, "w");
        if (f) {{ std::fputs("x", f); std::fclose(f); std::printf("WROTE %s\\n", p); }}
        else std::printf("denied %s\\n", std::strerror(errno));
    }}
}}""",
        "java": f"""
    static void attack() {{
        for (String p : new String[]{c_list(reads)}) {{
            try {{ System.out.println("READ " + Files.readString(Path.of(p))); }}
            catch (Exception e) {{ System.out.println("denied " + e); }}
        }}
        for (String p : new String[]{c_list(writes)}) {{
            try {{ Files.writeString(Path.of(p), "x"); System.out.println("WROTE " + p); }}
            catch (Exception e) {{ System.out.println("denied " + e); }}
        }}
    }}""",
        "go": f"""
func attack() {{
    for _, p := range []string{c_list(reads)} {{
        if b, err := os.ReadFile(p); err == nil {{ fmt.Println("READ", string(b)) }} else {{ fmt.Println("denied", err) }}
    }}
    for _, p := range []string{c_list(writes)} {{
        if err := os.WriteFile(p, []byte("x"), 0o644); err == nil {{ fmt.Println("WROTE", p) }} else {{ fmt.Println("denied", err) }}
    }}
}}""",
        "rust": f"""
fn attack() {{
    for p in [{c_list(reads)[1:-1]}] {{
        match std::fs::read_to_string(p) {{ Ok(t) => println!("READ {{}}", t), Err(e) => println!("denied {{}}", e) }}
    }}
    for p in [{c_list(writes)[1:-1]}] {{
        match std::fs::write(p, "x") {{ Ok(_) => println!("WROTE {{}}", p), Err(e) => println!("denied {{}}", e) }}
    }}
}}""",
    }[language]
    r = _run(sandbox, language, code)
    assert r.status == "passed", (r.status, r.message, r.stderr)
    assert "READ" not in r.stdout and "WROTE" not in r.stdout and "host-secret" not in r.stdout
    assert r.stdout.count("denied") == len(reads) + len(writes)
    for path in writes:
        assert not Path(path).exists(), path


@pytest.mark.parametrize("language", LANGS)
def test_fork_storm_is_contained(sandbox: BubblewrapSandbox, language: str) -> None:
    before = _uid_processes()
    code = {
        "javascript": """
const cp = require('child_process');
function attack() {
  let n = 0;
  for (let i = 0; i < 500; i++) {
    try { const c = cp.spawn('/usr/bin/sleep', ['30']); c.on('error', () => {}); if (c.pid) n++; } catch (e) { break; }
  }
  console.log('spawned', n);
  const r = cp.spawnSync('/usr/bin/sleep', ['0']);
  console.log('last', r.error ? r.error.code : 'ok');
}""",
        "cpp": """
#include <sys/wait.h>
void attack() {
    int n = 0;
    for (int i = 0; i < 1000; i++) { pid_t p = fork(); if (p == 0) { sleep(30); _exit(0); } if (p < 0) break; n++; }
    std::printf("forked %d\\n", n);
    while (fork() >= 0) {}
}""",
        "java": """
    static void attack() {
        int n = 0;
        List<Process> kept = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            try { kept.add(new ProcessBuilder("/usr/bin/sleep", "30").start()); n++; } catch (Exception e) { break; }
        }
        System.out.println("spawned " + n);
    }""",
        "go": """
func attack() {
    n := 0
    for i := 0; i < 500; i++ {
        if err := exec.Command("/usr/bin/sleep", "30").Start(); err != nil { break }
        n++
    }
    fmt.Println("spawned", n)
    for { if _, err := syscall.ForkExec("/usr/bin/sleep", []string{"sleep", "30"}, nil); err != nil { return } }
}""",
        "rust": """
fn attack() {
    let mut kept = Vec::new();
    for _ in 0..500 {
        match Command::new("/usr/bin/sleep").arg("30").spawn() { Ok(c) => kept.push(c), Err(_) => break }
    }
    println!("\nspawned {}", kept.len());
}""",
    }[language]
    r = _run(sandbox, language, code, Limits(cpu_seconds=4, wall_seconds=8, memory_bytes=512 << 20, max_processes=16))
    counted = [int(w) for line in r.stdout.splitlines() for w in line.split()[1:2] if line.startswith(("spawned", "forked"))]
    assert counted and counted[0] < 80, (r.status, r.stdout, r.message)  # node's, the JVM's, Go's threads count too
    time.sleep(0.3)
    assert _uid_processes() <= before


@pytest.mark.parametrize("language", LANGS)
def test_memory_hog_is_stopped(sandbox: BubblewrapSandbox, language: str) -> None:
    code = {
        "javascript": "function attack() { const a = []; for (;;) a.push(new Array(1e6).fill(1.5)); }",
        "cpp": "void attack() { std::vector<std::vector<char>> v; for (;;) v.emplace_back(64 << 20, 'x'); }",
        "java": "    static void attack() { List<long[]> v = new ArrayList<>(); for (;;) v.add(new long[8 << 20]); }",
        "go": "var keep [][]byte\nfunc attack() { for { b := make([]byte, 64<<20); for i := range b { b[i] = 1 }; keep = append(keep, b) } }",
        "rust": "fn attack() { let mut v = Vec::new(); loop { v.push(vec![1u8; 64 << 20]); } }",
    }[language]
    r = _run(sandbox, language, code)
    assert r.status in ("crashed", "failed"), (r.status, r.message)
    assert r.run is not None and r.run.wall_seconds < LIMITS.wall_seconds + 30


@pytest.mark.parametrize("language", LANGS)
def test_cpu_burner_is_stopped_at_the_limit(sandbox: BubblewrapSandbox, language: str) -> None:
    code = {"javascript": "function attack() { for (;;) {} }",
            "cpp": "volatile long x; void attack() { for (;;) x++; }",
            "java": "    static volatile long x;\n    static void attack() { for (;;) x++; }",
            "go": "var x int\nfunc attack() { for { x++ } }",
            "rust": "fn attack() { let mut x: u64 = 0; loop { x = unsafe { std::ptr::read_volatile(&x) } + 1; } }"}[language]
    started = time.monotonic()
    r = _run(sandbox, language, code)
    assert r.status in ("crashed", "timed_out"), (r.status, r.message)
    assert r.run_seconds is not None and r.run_seconds < LIMITS.wall_seconds + 1
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("language", LANGS)
def test_output_flood_is_cut(sandbox: BubblewrapSandbox, language: str) -> None:
    # JavaScript writes with fs.writeSync, which blocks on a full pipe like the other languages' writes;
    # process.stdout.write queues in memory instead (see the next test)
    code = {"javascript": "function attack() { const fs = require('fs'); const s = 'x'.repeat(65536); "
                          "for (;;) fs.writeSync(1, s); }",
            "cpp": "void attack() { std::string s(65536, 'x'); for (;;) std::fwrite(s.data(), 1, s.size(), stdout); }",
            "java": "    static void attack() { String s = \"x\".repeat(65536); for (;;) System.out.print(s); }",
            "go": "func attack() { s := strings.Repeat(\"x\", 65536); for { os.Stdout.WriteString(s) } }",
            "rust": "fn attack() { let s = \"x\".repeat(65536); loop { let _ = std::io::stdout().write_all(s.as_bytes()); } }",
            }[language]
    r = _run(sandbox, language, code)
    assert r.status == "crashed" and "output limit" in r.message, (r.status, r.message)
    assert r.run is not None and len(r.run.stdout) <= LIMITS.max_output_bytes


def test_a_queued_output_flood_in_node_ends_contained(sandbox: BubblewrapSandbox) -> None:
    """`process.stdout.write` in a loop that never yields queues its chunks in Node's memory while the pipe is
    full: the run ends at the output cap or, when the reader is slower (a loaded machine), at the memory
    limit (V8 dies by SIGSEGV or SIGABRT). Either way it ends, crashed, with its output cut at the cap."""
    r = _run(sandbox, "javascript", "function attack() { const s = 'x'.repeat(65536); "
                                    "for (;;) process.stdout.write(s); }")
    assert r.status == "crashed", (r.status, r.message)
    assert "output limit" in r.message or "signal" in r.message, r.message
    assert r.run is not None and len(r.run.stdout) <= LIMITS.max_output_bytes
    assert r.run.wall_seconds < LIMITS.wall_seconds + 5


@pytest.mark.parametrize("language", LANGS)
def test_detached_grandchild_dies_with_the_run(sandbox: BubblewrapSandbox, language: str) -> None:
    token = uuid.uuid4().hex
    code = {
        "javascript": f"""
const cp = require('child_process');
function attack() {{
  const c = cp.spawn('/bin/sh', ['-c', 'sleep 60 # {token}'], {{ detached: true, stdio: 'ignore' }});
  c.unref();
}}""",
        "cpp": f"""
void attack() {{
    if (fork() == 0) {{ setsid(); if (fork() == 0) {{ execl("/bin/sh", "sh", "-c", "sleep 60 # {token}", (char*)0); }} _exit(0); }}
    sleep(1);
}}""",
        "java": f"""
    static void attack() throws Exception {{
        new ProcessBuilder("/usr/bin/setsid", "/bin/sh", "-c", "sleep 60 # {token}").start();
        Thread.sleep(1000);
    }}""",
        "go": f"""
func attack() {{
    c := exec.Command("/bin/sh", "-c", "sleep 60 # {token}")
    c.SysProcAttr = &syscall.SysProcAttr{{Setsid: true}}
    c.Start()
    time.Sleep(time.Second)
}}""",
        "rust": f"""
fn attack() {{
    let _ = Command::new("/usr/bin/setsid").args(["/bin/sh", "-c", "sleep 60 # {token}"]).spawn();
    std::thread::sleep(Duration::from_secs(1));
}}""",
    }[language]
    r = _run(sandbox, language, code)
    assert r.status == "passed", (r.status, r.message, r.stderr)
    time.sleep(0.3)
    assert _processes_with(token) == []


def test_cpp_include_of_host_files_is_a_compile_error_without_their_content(sandbox: BubblewrapSandbox,
                                                                             tmp_path: Path) -> None:
    secret = tmp_path / "secret.h"
    value = "host_secret_" + uuid.uuid4().hex
    secret.write_text(f"int {value} = 1;\n")
    for target in ("/etc/shadow", str(secret), "/root/.bashrc", str(Path.cwd() / "pyproject.toml"),
                   "../../../../etc/passwd"):
        r = _run(sandbox, "cpp", f'#include "{target}"\nvoid attack() {{}}')
        assert r.status == "compile_error", (target, r.status, r.message)
        assert value not in r.message and "root:" not in r.message


def test_cpp_include_of_an_endless_device_and_an_error_flood_are_bounded(sandbox: BubblewrapSandbox) -> None:
    started = time.monotonic()
    r = _run(sandbox, "cpp", '#include "/dev/zero"\nvoid attack() {}')
    assert r.status in ("compile_error", "compile_timeout", "crashed"), (r.status, r.message)
    flood = "\n".join(f"int f{i}() {{ return undefined_{i}; }}" for i in range(5000))
    r = _run(sandbox, "cpp", flood + "\nvoid attack() {}")
    assert r.status == "compile_error" and len(r.message) <= 70_000
    assert time.monotonic() - started < 150


def test_java_annotation_processor_in_the_source_never_runs_and_an_error_flood_is_bounded(
        sandbox: BubblewrapSandbox, tmp_path: Path) -> None:
    """javac runs with `-proc:none` inside the sandbox: a processor shipped in the program never runs (and
    could not reach the host if it did); an error flood is bounded."""
    target = tmp_path / f"processor-{uuid.uuid4().hex}"
    processor = f"""
    static void attack() {{}}
}}

@javax.annotation.processing.SupportedAnnotationTypes("*")
class Evil extends javax.annotation.processing.AbstractProcessor {{
    static {{
        try {{ Files.writeString(Path.of("{target}"), "ran"); }} catch (Exception e) {{}}
        System.out.println("PROCESSOR RAN");
    }}
    public boolean process(Set<? extends javax.lang.model.element.TypeElement> a,
                           javax.annotation.processing.RoundEnvironment r) {{ return false; }}
"""
    r = _run(sandbox, "java", processor)
    assert r.status == "passed", (r.status, r.message)
    assert "PROCESSOR RAN" not in r.message + r.stdout and not target.exists()
    started = time.monotonic()
    flood = "\n".join(f"    int f{i}() {{ return undefined_{i}; }}" for i in range(3000))
    r = _run(sandbox, "java", flood + "\n    static void attack() {}")
    assert r.status == "compile_error" and len(r.message) <= 70_000, (r.status, r.message[:300])
    assert time.monotonic() - started < 150


def test_go_embed_and_cgo_cannot_reach_host_files(sandbox: BubblewrapSandbox, tmp_path: Path) -> None:
    """`//go:embed` takes no absolute or `..` paths, and cgo is off (no C preprocessor, no `#include` of a
    host file): each is a compile error without the file's content."""
    secret = tmp_path / "secret.h"
    value = "host_secret_" + uuid.uuid4().hex
    secret.write_text(f"int {value} = 1;\n")
    for pattern in ("../../../etc/passwd", str(secret), "/etc/shadow"):
        code = f'import _ "embed"\n\n//go:embed {pattern}\nvar leaked string\n\nfunc attack() {{ println(leaked) }}\n'
        r = _run(sandbox, "go", code)
        assert r.status == "compile_error", (pattern, r.status, r.message)
        assert value not in r.message + r.stdout and "root:" not in r.message + r.stdout
    cgo = f'// #include "{secret}"\nimport "C"\n\nfunc attack() {{ println(C.{value}) }}\n'
    r = _run(sandbox, "go", cgo)
    assert r.status == "compile_error" and value + " = 1" not in r.message, (r.status, r.message)


def test_rust_compile_time_reads_of_host_files_and_macros_are_confined(sandbox: BubblewrapSandbox,
                                                                       tmp_path: Path) -> None:
    """rustc runs in the sandbox (no cargo, so no build script; only the given crates, none a proc-macro):
    `include_str!`, `include_bytes!` and `#[path]` of host files are compile errors without their content, a
    procedural macro defined in the program cannot be used by it, `include_bytes!("/dev/zero")` is bounded."""
    secret = tmp_path / "secret.rs"
    value = "host_secret_" + uuid.uuid4().hex
    secret.write_text(f"pub const S: &str = \"{value}\";\n")
    for target in ("/etc/shadow", str(secret), "/root/.bashrc", "../../../../etc/passwd"):
        for code in (f'const LEAK: &str = include_str!("{target}");\nfn attack() {{ println!("{{}}", LEAK); }}\n',
                     f'#[path = "{target}"]\nmod leak;\nfn attack() {{}}\n'):
            r = _run(sandbox, "rust", code)
            assert r.status == "compile_error", (target, r.status, r.message)
            assert value not in r.message + r.stdout and "root:" not in r.message + r.stdout
    marker = tmp_path / "macro-ran"
    r = _run(sandbox, "rust", "extern crate proc_macro;\n#[proc_macro]\npub fn evil(i: proc_macro::TokenStream) -> "
                              f"proc_macro::TokenStream {{ std::fs::write(\"{marker}\", \"\").unwrap(); i }}\n"
                              "fn attack() { evil!(); }\n")
    assert r.status == "compile_error" and not marker.exists(), (r.status, r.message)
    started = time.monotonic()
    r = _run(sandbox, "rust", 'const Z: &[u8] = include_bytes!("/dev/zero");\nfn attack() { println!("{}", Z.len()); }\n')
    assert r.status in ("compile_error", "compile_timeout", "crashed"), (r.status, r.message)
    assert time.monotonic() - started < 150
