-- Finding the `goldcrest` executable, for the plugin and for :checkhealth goldcrest.
--
-- A configured path (with a slash) always wins, right or wrong. A bare name is looked up on
-- $PATH, then where Python tools land when installed outside it (pipx's goldcrest venv,
-- $PIPX_BIN_DIR, pip --user's ~/.local/bin); when nothing is found the message names every
-- place searched.
local M = {}

--- Folders searched for a bare server name after $PATH, each with why it is searched.
function M.usual_places()
  local home = vim.loop.os_homedir() or ""
  local places = {}
  local pipx_home = os.getenv("PIPX_HOME")
  if pipx_home and pipx_home ~= "" then
    table.insert(places, { dir = pipx_home .. "/venvs/goldcrest/bin", why = "pipx" })
  end
  -- pipx before 1.3, then its newer default
  table.insert(places, { dir = home .. "/.local/pipx/venvs/goldcrest/bin", why = "pipx" })
  table.insert(places, { dir = home .. "/.local/share/pipx/venvs/goldcrest/bin", why = "pipx" })
  local pipx_bin = os.getenv("PIPX_BIN_DIR")
  if pipx_bin and pipx_bin ~= "" then
    table.insert(places, { dir = pipx_bin, why = "PIPX_BIN_DIR" })
  end
  table.insert(places, { dir = home .. "/.local/bin", why = "pip --user / pipx" })
  return places
end

--- (path, how it was found), or (nil, a message naming every place searched and the fix).
function M.find(configured, install_hint)
  local exe = vim.fn.expand(configured or "goldcrest")
  if exe:find("/", 1, true) then
    if vim.fn.executable(exe) == 1 then
      return exe, "cmd in setup()"
    end
    return nil, string.format("the server %q (cmd in setup()) does not exist or is not executable. Fix cmd, or install the server with: %s", exe, install_hint)
  end
  local on_path = vim.fn.exepath(exe)
  if on_path ~= "" then
    return on_path, "$PATH"
  end
  local searched = { "$PATH (" .. (os.getenv("PATH") or "") .. ")" }
  for _, place in ipairs(M.usual_places()) do
    local full = place.dir .. "/" .. exe
    if vim.fn.executable(full) == 1 then
      return full, place.why .. " (" .. place.dir .. ")"
    end
    table.insert(searched, place.dir .. " (" .. place.why .. ")")
  end
  return nil,
    string.format(
      '%q was not found. Searched: %s. Set cmd = { "/path/to/venv/bin/goldcrest", "serve" } in setup(), or install the server with: %s',
      exe,
      table.concat(searched, "; "),
      install_hint
    )
end

return M
