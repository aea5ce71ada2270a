module example.com/bedrockstream

go 1.19
