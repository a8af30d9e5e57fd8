from coalition.cli.main import main

main()
