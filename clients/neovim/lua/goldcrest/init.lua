-- Goldcrest for Neovim: starts `goldcrest serve` with the built-in LSP client.
--
--   require("goldcrest").setup({ settings = { backend = "ollama" } })
--
-- Works on Neovim 0.7 (vim.lsp.start_client + FileType autocmd + vim.lsp.buf_attach_client) and
-- uses vim.lsp.config / vim.lsp.enable (0.11+) and vim.lsp.inline_completion (0.12+) when present.
local U = require("goldcrest.util")

local M = {}

local NAME = U.NAME
local INSTALL = 'cd <goldcrest checkout> && python3 -m pip install ".[embedded]"'
local echo, notify, call, clients, all_clients = U.echo, U.notify, U.call, U.clients, U.all_clients

M.defaults = {
  -- The server command; the first word is also what :GoldcrestDoctor runs (with "doctor"). A
  -- full path always wins; a bare name is looked up on $PATH, then where Python tools land
  -- outside it: pipx's goldcrest venv, $PIPX_BIN_DIR, ~/.local/bin (see M.find_server()).
  cmd = { "goldcrest", "serve" },
  filetypes = {
    "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
    "go", "rust", "java", "c", "cpp",
  },
  root_markers = { "goldcrest.toml", "pyproject.toml", "setup.py", "package.json", "go.mod", "Cargo.toml", ".git" },
  -- Server settings, sent as initializationOptions and on change (workspace/didChangeConfiguration).
  -- Same shape as the server's: { backend = "ollama", ollama = { host = "...", model = "..." },
  -- embedded = {...}, completion = {...}, cache = {...}, log_level = "info" }.
  -- Only what you set is sent; the server keeps its defaults for the rest.
  settings = {},
  capabilities = nil, -- merged over vim.lsp.protocol.make_client_capabilities()
  on_attach = nil, -- function(client, bufnr)
  progress = true, -- echo $/progress from long scans
  notify_status = true, -- echo when the backend goes offline or errs
  omnifunc = true, -- set 'omnifunc' to the LSP one in attached buffers (<C-x><C-o>)
  inline_completion = true, -- ghost text through vim.lsp.inline_completion (Neovim 0.12+)
  accept_key = "<Tab>", -- insert-mode key that accepts ghost text (falls through when none); false: none
  use_new_api = nil, -- nil: vim.lsp.config/enable when available; false: always the 0.7 path
}

M.config = vim.deepcopy(M.defaults)
--- Last goldcrest/status params, and the last tier that answered.
M.status = nil
M.last_tier = nil
M.last_explanation = nil
--- The last failed command, for statuslines and tests.
M.last_error = nil
--- What the last :GoldcrestBugs answered ({findings, units, problems, cancelled}).
M.last_bugs = nil
--- What the last :GoldcrestFix answered ({applied, problem}).
M.last_fix = nil
--- The last goldcrest.accepted argument the plugin sent ({id, kind, chars}).
M.last_accept = nil

local augroup = nil
local single_client_id = nil

-- ---------------------------------------------------------------------------------------------
-- helpers

local function as_object(tbl)
  if tbl == nil or next(tbl) == nil then
    return vim.empty_dict()
  end
  return tbl
end

local function server_settings()
  return as_object(U.strip_nils(M.config.settings or {}))
end

--- The goldcrest client attached to `bufnr` (0: current buffer).
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  for _, client in pairs(all_clients({ bufnr = bufnr })) do
    if client.name == NAME then
      return client
    end
  end
  return nil
end

local function find_root(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= "" and vim.fn.fnamemodify(name, ":p:h") or vim.loop.cwd()
  local cur = dir
  while cur and cur ~= "" do
    for _, marker in ipairs(M.config.root_markers) do
      if vim.loop.fs_stat(cur .. "/" .. marker) then
        return cur
      end
    end
    local parent = vim.fn.fnamemodify(cur, ":h")
    if parent == cur then
      break
    end
    cur = parent
  end
  return dir
end

-- M.status_text, M.statusline, M.handlers (goldcrest/status, $/progress)
require("goldcrest.status")(M)

-- The "Goldcrest: Explain" code action carries the server command goldcrest.explain, whose
-- answer Neovim would drop; run it here instead and show the answer in a float.
local function client_commands()
  return {
    ["goldcrest.explain"] = function(command)
      local arg = vim.deepcopy((command.arguments or {})[1] or {})
      arg.show = false -- the server would echo it as a message; the float is better
      M.explain_at(arg)
    end,
  }
end

-- ---------------------------------------------------------------------------------------------
-- attach

local function on_attach(client, bufnr)
  if M.config.omnifunc then
    vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
  end
  -- a suggestion taken from the completion menu is reported to the server (see accept.lua)
  vim.api.nvim_create_autocmd("CompleteDone", {
    group = vim.api.nvim_create_augroup("goldcrest_accept_" .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = function()
      local c = M.client(bufnr)
      local arg = c and require("goldcrest.accept").on_complete_done(c, bufnr)
      if arg then
        M.last_accept = arg
        U.fire_user_event("GoldcrestAccepted", arg)
      end
    end,
    desc = "Goldcrest: report an accepted suggestion",
  })
  local ic = vim.lsp.inline_completion
  if M.config.inline_completion and ic and ic.enable then
    pcall(ic.enable, true, { bufnr = bufnr })
    if M.config.accept_key and ic.get then
      local key = M.config.accept_key
      vim.keymap.set("i", key, function()
        if not ic.get() then
          return key
        end
      end, { expr = true, replace_keycodes = true, buffer = bufnr, desc = "Goldcrest: accept suggestion" })
    end
  end
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  if M.config.capabilities then
    caps = vim.tbl_deep_extend("force", caps, M.config.capabilities)
  end
  return caps
end

local function client_config(root, cmd)
  return {
    name = NAME,
    cmd = cmd or M.config.cmd,
    root_dir = root,
    init_options = server_settings(),
    settings = { goldcrest = server_settings() },
    capabilities = capabilities(),
    handlers = M.handlers(),
    commands = client_commands(),
    on_attach = on_attach,
    on_exit = function(code, signal)
      if code ~= 0 and signal == 0 then
        vim.schedule(function()
          notify(string.format("the server exited with code %d. :GoldcrestDoctor may tell why.", code), vim.log.levels.WARN)
        end)
      end
    end,
    flags = { debounce_text_changes = 150 },
  }
end

--- Where the server executable is: (path, how it was found) or (nil, message naming every
--- place searched). A configured path (with a slash) always wins, right or wrong.
function M.find_server()
  return require("goldcrest.server").find(M.config.cmd[1], INSTALL)
end

--- The server command with its executable resolved; nil (after telling the user once) when
--- there is none.
local function server_cmd()
  local exe, how = M.find_server()
  if not exe then
    if not M._warned_missing then
      M._warned_missing = true
      notify(how, vim.log.levels.ERROR)
    end
    return nil
  end
  M._warned_missing = false
  local cmd = vim.deepcopy(M.config.cmd)
  cmd[1] = exe
  return cmd
end

--- Start the server (once) and attach `bufnr` to it. The 0.7-compatible path.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local client = single_client_id and vim.lsp.get_client_by_id(single_client_id)
  if not client or call(client, "is_stopped") then
    local cmd = server_cmd()
    if not cmd then
      return nil
    end
    single_client_id = vim.lsp.start_client(client_config(find_root(bufnr), cmd))
  end
  if single_client_id then
    vim.lsp.buf_attach_client(bufnr, single_client_id)
  end
  return single_client_id
end

local function use_new_api()
  if M.config.use_new_api == false then
    return false
  end
  return type(vim.lsp.config) == "table" and type(vim.lsp.enable) == "function"
end

-- ---------------------------------------------------------------------------------------------
-- commands

-- M.execute, M.list_bugs, M.fix, M.fix_range, M.refactor, M.explain, M.explain_at, M.doctor,
-- M.doctor_argv
require("goldcrest.actions")(M, INSTALL)

--- Merge `settings` into the server settings and send them to running servers.
function M.set_settings(settings)
  M.config.settings = vim.tbl_deep_extend("force", M.config.settings or {}, settings or {})
  local payload = { settings = { goldcrest = server_settings() } }
  for _, client in ipairs(clients()) do
    client.config.settings = payload.settings
    call(client, "notify", "workspace/didChangeConfiguration", payload)
  end
end

function M.pause(paused)
  M.set_settings({ completion = { enabled = not paused } })
  local ic = vim.lsp.inline_completion
  if ic and ic.enable then
    pcall(ic.enable, not paused)
  end
  echo(paused and "Goldcrest: completions paused" or "Goldcrest: completions resumed")
end

function M.restart()
  local bufs = {}
  for _, client in ipairs(clients()) do
    for bufnr in pairs(client.attached_buffers or {}) do
      table.insert(bufs, bufnr)
    end
    call(client, "stop")
  end
  single_client_id = nil
  vim.defer_fn(function()
    if use_new_api() then
      -- the server is looked up again: it may have been installed or moved meanwhile
      local cmd = server_cmd()
      if not cmd then
        return
      end
      vim.lsp.config(NAME, { cmd = cmd })
      for _, b in ipairs(bufs) do
        if vim.api.nvim_buf_is_valid(b) then
          vim.api.nvim_exec_autocmds("FileType", { buffer = b })
        end
      end
    else
      for _, b in ipairs(bufs) do
        M.attach(b)
      end
    end
  end, 500)
end

--- Completion for the optional tier argument: "strongest" and the tiers named in settings.
local function complete_tier(lead)
  local names = { "strongest" }
  for _, tier in ipairs((M.config.settings or {}).tiers or {}) do
    if type(tier) == "table" and type(tier.name) == "string" then
      table.insert(names, tier.name)
    end
  end
  return vim.tbl_filter(function(n)
    return n:sub(1, #lead) == lead
  end, names)
end

local function create_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd("GoldcrestBugs", function(o)
    M.list_bugs(o)
  end, { range = true, nargs = "?", complete = complete_tier, desc = "Goldcrest: list likely bugs in the file (or the given lines) [tier]" })
  cmd("GoldcrestFix", function(o)
    M.fix(o)
  end, { range = true, nargs = "?", complete = complete_tier, desc = "Goldcrest: fix the bug under the cursor (or the given lines) [tier]" })
  cmd("GoldcrestRefactor", function(o)
    M.refactor(o.args, o)
  end, {
    range = true,
    nargs = 1,
    complete = function()
      return M.REFACTOR_KINDS
    end,
    desc = "Goldcrest: simplify | extract_function | type_hints | docstring",
  })
  cmd("GoldcrestExplain", function(o)
    M.explain(o.args)
  end, { nargs = "?", complete = complete_tier, desc = "Goldcrest: explain the code under the cursor [tier]" })
  cmd("GoldcrestDoctor", function()
    M.doctor()
  end, { desc = "Goldcrest: run `goldcrest doctor`" })
  cmd("GoldcrestStatus", function()
    echo(M.status_text(M.status))
  end, { desc = "Goldcrest: show the server state" })
  cmd("GoldcrestPause", function()
    M.pause(true)
  end, { desc = "Goldcrest: pause completions" })
  cmd("GoldcrestResume", function()
    M.pause(false)
  end, { desc = "Goldcrest: resume completions" })
  cmd("GoldcrestRestart", function()
    M.restart()
  end, { desc = "Goldcrest: restart the server" })
end

-- ---------------------------------------------------------------------------------------------
-- setup

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  -- lists replace, they do not merge index by index
  for _, key in ipairs({ "cmd", "filetypes", "root_markers" }) do
    if opts and opts[key] then
      M.config[key] = opts[key]
    end
  end
  create_commands()
  augroup = vim.api.nvim_create_augroup("goldcrest", { clear = true })

  if use_new_api() then
    local cfg = client_config(nil, server_cmd())
    cfg.root_dir = nil
    cfg.root_markers = M.config.root_markers
    cfg.filetypes = M.config.filetypes
    cfg.reuse_client = function(client, config)
      return client.name == config.name
    end
    vim.lsp.config(NAME, cfg)
    vim.lsp.enable(NAME)
    return M
  end

  vim.api.nvim_create_autocmd("FileType", {
    group = augroup,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
    desc = "Goldcrest: start or attach the language server",
  })
  -- buffers already open when setup() runs
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
  return M
end

return M
