from host_engine.cli import main

main()
