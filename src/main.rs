fn main() -> std::process::ExitCode {
    moray::cli::main()
}
