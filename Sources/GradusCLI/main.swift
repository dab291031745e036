import GradusCommands

GradusCommand.main()
