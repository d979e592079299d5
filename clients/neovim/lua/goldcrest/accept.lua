-- Telling the server which suggestions the user kept (local only; the server counts them for
-- `goldcrest stats` and its routing, and a server setting turns it off: no command then).
--
-- The server puts a `goldcrest.accepted` command on its suggestions. Neovim 0.12's inline
-- completion and 0.11's vim.lsp.completion (when enabled) run an item's command themselves on
-- accept; the completion menu through 'omnifunc' does not, so the plugin runs it on CompleteDone,
-- with the number of characters inserted. There too it puts in the rest of a suggestion that
-- Neovim 0.11's 'omnifunc' cut at its first blank.
local U = require("goldcrest.util")

local A = {}

A.COMMAND = "goldcrest.accepted"

--- The LSP CompletionItem behind a finished completion (v:completed_item), if it has one.
local function lsp_item(done)
  local data = type(done) == "table" and done.user_data
  local nvim = type(data) == "table" and data.nvim
  local lsp = type(nvim) == "table" and nvim.lsp
  return type(lsp) == "table" and lsp.completion_item or nil
end

--- Characters of the suggestion that went in: the item's text less the word it replaced.
function A.chars(item)
  local edit = item.textEdit
  if type(edit) == "table" and type(edit.newText) == "string" then
    local range = edit.range or edit.replace
    local replaced = 0
    if range and range.start.line == range["end"].line then
      replaced = range["end"].character - range.start.character
    end
    return math.max(vim.fn.strchars(edit.newText) - replaced, 0)
  end
  return vim.fn.strchars(item.insertText or item.label or "")
end

--- The goldcrest.accepted argument for a completion item the user kept, or nil when the item
--- carries no such command.
function A.argument(item)
  local command = type(item) == "table" and item.command
  if type(command) ~= "table" or command.command ~= A.COMMAND then
    return nil
  end
  local arg = vim.deepcopy((command.arguments or {})[1] or {})
  if type(arg) ~= "table" or arg.id == nil then
    return nil
  end
  arg.kind = "full"
  arg.chars = A.chars(item)
  return arg
end

--- Whether Neovim runs completion items' commands itself in `bufnr` (vim.lsp.completion.enable).
local function neovim_runs_commands(bufnr)
  return (pcall(vim.api.nvim_get_autocmds, { group = "nvim.lsp.completion_" .. bufnr }))
end

--- Neovim 0.11's 'omnifunc' inserts a plain item's text up to its first blank only ("a" of
--- "a + b"): put in the rest of a Goldcrest suggestion after the cursor.
local function insert_rest(item, word)
  local edit = item.textEdit
  local new = type(edit) == "table" and edit.newText
  if type(new) ~= "string" or #word >= #new or new:sub(1, #word) ~= word then
    return
  end
  if not tostring(item.detail or ""):find("^Goldcrest") then
    return
  end
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  local lines = vim.split(new:sub(#word + 1), "\n", { plain = true })
  vim.api.nvim_buf_set_text(0, row - 1, col, row - 1, col, lines)
  local last = #lines == 1 and col + #lines[1] or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row + #lines - 1, last })
end

--- On CompleteDone in `bufnr`: a Goldcrest item that was inserted and kept is put in whole and
--- reported to `client`. Returns the argument sent, or nil.
function A.on_complete_done(client, bufnr)
  local done = vim.v.completed_item
  local event = vim.v.event
  if type(event) == "table" and event.reason == "cancel" then
    return nil -- CTRL-E put the typed text back
  end
  local item = lsp_item(done)
  if not item then
    return nil
  end
  -- kept: the line before the cursor ends with what was inserted (its last line)
  local word = tostring(done.word or ""):match("[^\n]*$")
  local col = vim.api.nvim_win_get_cursor(0)[2]
  local before = vim.api.nvim_get_current_line():sub(1, col)
  if word == "" or before:sub(-#word) ~= word then
    return nil
  end
  if not tostring(done.word):find("\n", 1, true) then
    insert_rest(item, word)
  end
  local arg = A.argument(item)
  if not arg or neovim_runs_commands(bufnr) then
    return nil
  end
  local params = { command = A.COMMAND, arguments = { arg } }
  U.call(client, "request", "workspace/executeCommand", params, function(err)
    if err then
      U.notify(A.COMMAND .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.WARN)
    end
  end, bufnr)
  return arg
end

return A
