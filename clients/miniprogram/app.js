// The mini-program's entry: everything happens on pages/chat (opened with ?matter=<matter id> from a
// matter's page, so that the conversation starts with its matter).
App({})
