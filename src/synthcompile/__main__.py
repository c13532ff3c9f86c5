from synthcompile.cli import main

main()
