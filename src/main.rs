// mimalloc serves every allocation of the process, SQLite's included ("override"): the request
// path allocates many small strings (rows, XML, log lines), where it is faster than glibc's
// allocator (issue 4).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    moray::cli::main()
}
