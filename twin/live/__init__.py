"""The live twin over OPC UA: the emulated shop floor (`twin emulate`: the twin's own line
published by an asyncua server) and the live client (`twin live`: subscribe, rebuild the
`LineState`, forecast the rest of the shift from it). The address space both speak is
`twin.live.address` (docs/live.md)."""
