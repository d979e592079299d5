-- Headless Neovim test of the Goldcrest plugin against the real server.
--
--   nvim --headless -u NONE -c "luafile clients/neovim/test/test.lua"
--
-- Uses only Neovim 0.7 APIs. Starts the scripted fake Ollama (tests/fake_ollama.py) so
-- the answers are deterministic, opens a Python file, and drives the plugin the way a user does:
-- completion (a suggestion taken from the menu is counted by the server), hover, code actions,
-- :GoldcrestBugs, a fix applied through vim.lsp.buf.code_action,
-- :GoldcrestExplain, :GoldcrestDoctor. Prints one line per check and a final
-- "neovim: N passed, M failed"; exits non-zero on any failure (or when the whole run exceeds
-- GOLDCREST_TEST_TIMEOUT_S, default 240 s).
--
-- Environment: GOLDCREST (server executable, default "goldcrest"), PYTHON (default "python3"),
-- GOLDCREST_BACKEND=fake|real (real: no fake Ollama; use the server's own backend choice, and
-- only check what does not depend on the model's exact words).
--
-- This file is the runner: harness.lua (checks, waits, summary), session.lua (fake Ollama,
-- workspace, plugin), helpers.lua (what several checks share), then the checks in this order,
-- each file named after what it tests.

local function script_dir()
  local src = debug.getinfo(1, "S").source:sub(2)
  return vim.fn.fnamemodify(src, ":p:h")
end

local HERE = script_dir()

local function run_file(name)
  return dofile(HERE .. "/" .. name .. ".lua")
end

local t = run_file("harness").new(HERE)
if not run_file("session").start(t) then
  t.finish()
  return
end
run_file("helpers").install(t)

if not run_file("attach")(t) then
  t.finish()
  return
end
for _, checks in ipairs({ "lsp_features", "bugs_fix", "explain", "reports", "server_path", "commands" }) do
  run_file(checks)(t)
end

t.finish()
