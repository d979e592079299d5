-- Goldcrest for Neovim: starts `goldcrest serve` with the built-in LSP client.
--
--   require("goldcrest").setup({ settings = { backend = "ollama" } })
--
-- Works on Neovim 0.7 (vim.lsp.start_client + FileType autocmd + vim.lsp.buf_attach_client) and
-- uses vim.lsp.config / vim.lsp.enable (0.11+) and vim.lsp.inline_completion (0.12+) when present.
local M = {}

local NAME = "goldcrest"
local INSTALL = 'cd <goldcrest checkout> && python3 -m pip install ".[embedded]"'
local REFACTOR_KINDS = { "simplify", "extract_function", "type_hints", "docstring" }

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

local augroup = nil
local single_client_id = nil

-- ---------------------------------------------------------------------------------------------
-- helpers

local function echo(msg, hl)
  vim.api.nvim_echo({ { msg, hl or "None" } }, false, {})
end

local function notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = "Goldcrest" })
end

--- Drop vim.NIL values (the server wants unset keys left out, not null).
local function strip_nils(value)
  if type(value) ~= "table" then
    return value
  end
  local out = {}
  for k, v in pairs(value) do
    if v ~= vim.NIL then
      out[k] = strip_nils(v)
    end
  end
  return out
end

local function as_object(tbl)
  if tbl == nil or next(tbl) == nil then
    return vim.empty_dict()
  end
  return tbl
end

local function server_settings()
  return as_object(strip_nils(M.config.settings or {}))
end

local HAS_011 = vim.fn.has("nvim-0.11") == 1

-- Client methods are called with ':' from 0.11 on and with '.' before.
local function call(client, method, ...)
  if HAS_011 then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function all_clients(filter)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients(filter)
  end
  if filter and filter.bufnr then
    return vim.lsp.buf_get_clients(filter.bufnr)
  end
  return vim.lsp.get_active_clients()
end

local function clients()
  local out = {}
  for _, client in pairs(all_clients()) do
    if client.name == NAME then
      table.insert(out, client)
    end
  end
  return out
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

local function encoding(client)
  return (client and client.offset_encoding) or "utf-16"
end

--- LSP character offset of byte column `col` (0-based) in `line`.
local function char_of(line, col, enc)
  if enc == "utf-8" then
    return col
  end
  col = math.min(col, #line)
  local utf32, utf16 = vim.str_utfindex(line, col)
  if enc == "utf-32" then
    return utf32
  end
  return utf16
end

local function buf_line(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
end

--- A range covering whole lines line1..line2 (1-based, inclusive).
local function line_range(bufnr, line1, line2, enc)
  local last = buf_line(bufnr, line2 - 1)
  return {
    start = { line = line1 - 1, character = 0 },
    ["end"] = { line = line2 - 1, character = char_of(last, #last, enc) },
  }
end

local function cursor_position(bufnr, enc)
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  return { line = row - 1, character = char_of(buf_line(bufnr, row - 1), col, enc) }
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

-- ---------------------------------------------------------------------------------------------
-- status and progress

local function status_text(st)
  if not st then
    return "Goldcrest"
  end
  local text = "Goldcrest: " .. (st.state or "?")
  local model = {}
  if st.backend and st.backend ~= "" then
    table.insert(model, st.backend)
  end
  if st.model and st.model ~= "" then
    table.insert(model, st.model)
  end
  if #model > 0 then
    text = text .. " · " .. table.concat(model, "/")
  end
  if M.last_tier then
    text = text .. " · " .. M.last_tier
  end
  if M.config.settings and M.config.settings.completion and M.config.settings.completion.enabled == false then
    text = text .. " (paused)"
  end
  return text
end

--- One line for a statusline: `%{v:lua.require'goldcrest'.statusline()}`.
function M.statusline()
  if #clients() == 0 then
    return ""
  end
  return status_text(M.status)
end

local function fire_user_event(pattern, data)
  local ok = pcall(vim.api.nvim_exec_autocmds, "User", { pattern = pattern, modeline = false, data = data })
  if not ok then -- Neovim 0.7: no `data`
    pcall(vim.api.nvim_exec_autocmds, "User", { pattern = pattern, modeline = false })
  end
end

local function on_status(err, params)
  if err or type(params) ~= "table" then
    return
  end
  local previous = M.status and M.status.state
  M.status = params
  if params.tier ~= nil and params.tier ~= vim.NIL and params.tier ~= "" then
    M.last_tier = params.tier
  end
  if M.config.notify_status and params.state ~= previous and (params.state == "offline" or params.state == "error") then
    local msg = params.message
    if msg == nil or msg == vim.NIL then
      msg = params.state == "offline" and "the model backend is down" or "error"
    end
    echo("Goldcrest: " .. msg, params.state == "error" and "ErrorMsg" or "WarningMsg")
  end
  fire_user_event("GoldcrestStatus", params)
end

local function progress_handler(err, result, ctx, config)
  local default = vim.lsp.handlers["$/progress"]
  if default then
    pcall(default, err, result, ctx, config)
  end
  if not M.config.progress or err or type(result) ~= "table" or type(result.value) ~= "table" then
    return
  end
  local value = result.value
  local parts = {}
  if value.kind == "begin" then
    M._progress_title = value.title
  end
  local title = value.title or M._progress_title or "working"
  if not title:find("^Goldcrest") then
    table.insert(parts, "Goldcrest:")
  end
  table.insert(parts, title)
  if value.message and value.message ~= vim.NIL then
    table.insert(parts, value.message)
  end
  if value.percentage and value.percentage ~= vim.NIL then
    table.insert(parts, string.format("(%d%%)", value.percentage))
  end
  if value.kind == "end" then
    table.insert(parts, "done")
  end
  M.last_progress = table.concat(parts, " ")
  echo(M.last_progress)
end

local function handlers()
  return {
    ["goldcrest/status"] = on_status,
    ["$/progress"] = progress_handler,
  }
end

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
    handlers = handlers(),
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

local function need_client()
  local client = M.client(0)
  if not client then
    notify("no Goldcrest server for this buffer (filetype " .. vim.bo.filetype .. ")", vim.log.levels.WARN)
  end
  return client
end

--- workspace/executeCommand on the current buffer's server; `on_done(result)` on success.
function M.execute(command, arg, on_done, label)
  local client = need_client()
  if not client then
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  if label then
    echo("Goldcrest: " .. label .. "…")
  end
  call(client, "request", "workspace/executeCommand", { command = command, arguments = { arg } }, function(err, result)
    if err then
      M.last_error = command .. " failed: " .. (err.message or vim.inspect(err))
      notify(M.last_error, vim.log.levels.ERROR)
      return
    end
    if on_done then
      on_done(result, bufnr)
    end
  end, bufnr)
end

local function goldcrest_diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == NAME then
      table.insert(out, d)
    end
  end
  return out
end

--- The command argument with the optional `tier` ("strongest" or a tier's name) the user gave.
local function with_tier(arg, tier)
  if type(tier) == "string" and vim.trim(tier) ~= "" then
    arg.tier = vim.trim(tier)
  end
  return arg
end

function M.list_bugs(opts)
  opts = opts or {}
  local client = need_client()
  if not client then
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local arg = with_tier({ uri = vim.uri_from_bufnr(bufnr) }, opts.args)
  if opts.range and opts.range > 0 then
    arg.range = line_range(bufnr, opts.line1, opts.line2, encoding(client))
  end
  M.last_bugs = nil
  M.execute("goldcrest.listBugs", arg, function(result, b)
    M.last_bugs = result ~= vim.NIL and result or {}
    vim.defer_fn(function()
      local n = #goldcrest_diagnostics(b)
      echo(n == 0 and "Goldcrest: no likely bugs found" or string.format("Goldcrest: %d possible bug%s (see :lua vim.diagnostic.setloclist())", n, n == 1 and "" or "s"))
    end, 50)
  end, "listing bugs")
end

--- The range Fix works on: the given lines; else the goldcrest diagnostic under the cursor;
--- else the cursor's line.
function M.fix_range(bufnr, opts, enc)
  if opts.range and opts.range > 0 then
    return line_range(bufnr, opts.line1, opts.line2, enc)
  end
  local pos = cursor_position(bufnr, enc)
  for _, d in ipairs(goldcrest_diagnostics(bufnr)) do
    local after_start = d.lnum < pos.line or (d.lnum == pos.line and d.col <= pos.character)
    local end_lnum = d.end_lnum or d.lnum
    local end_col = d.end_col or d.col
    local before_end = pos.line < end_lnum or (pos.line == end_lnum and pos.character <= end_col)
    if after_start and before_end then
      -- the LSP diagnostic as the server sent it, when Neovim kept it
      local lsp = d.user_data and d.user_data.lsp
      if lsp and lsp.range then
        return lsp.range
      end
      return line_range(bufnr, d.lnum + 1, end_lnum + 1, enc)
    end
  end
  return line_range(bufnr, pos.line + 1, pos.line + 1, enc)
end

function M.fix(opts)
  local client = need_client()
  if not client then
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local range = M.fix_range(bufnr, opts or {}, encoding(client))
  M.last_fix = nil
  local arg = with_tier({ uri = vim.uri_from_bufnr(bufnr), range = range }, (opts or {}).args)
  M.execute("goldcrest.fix", arg, function(result)
    M.last_fix = result ~= vim.NIL and result or {}
    if M.last_fix.problem == vim.NIL then
      M.last_fix.problem = nil -- JSON null
    end
    if M.last_fix.applied then
      echo("Goldcrest: fix applied")
    else
      echo("Goldcrest: no fix offered" .. (M.last_fix.problem and (": " .. M.last_fix.problem) or ""))
    end
  end, "fixing")
end

function M.refactor(kind, opts)
  opts = opts or {}
  if not vim.tbl_contains(REFACTOR_KINDS, kind) then
    notify("refactor kind must be one of: " .. table.concat(REFACTOR_KINDS, ", "), vim.log.levels.ERROR)
    return
  end
  local client = need_client()
  if not client then
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local enc = encoding(client)
  local range
  if opts.range and opts.range > 0 then
    range = line_range(bufnr, opts.line1, opts.line2, enc)
  else
    local pos = cursor_position(bufnr, enc)
    range = { start = pos, ["end"] = pos }
  end
  M.execute("goldcrest.refactor", { uri = vim.uri_from_bufnr(bufnr), range = range, kind = kind }, function()
    echo("Goldcrest: " .. kind .. " done")
  end, kind)
end

local function show_markdown(text)
  local lines = vim.split(text, "\n", { plain = true })
  if vim.lsp.util.open_floating_preview then
    local _, win = vim.lsp.util.open_floating_preview(lines, "markdown", { border = "rounded", focus_id = "goldcrest_explain", max_width = 100 })
    return win
  end
end

--- Explain the code under the cursor; `tier` (optional) asks that model.
function M.explain(tier)
  local client = need_client()
  if not client then
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  M.explain_at(with_tier({ uri = vim.uri_from_bufnr(bufnr), position = cursor_position(bufnr, encoding(client)) }, tier))
end

--- goldcrest.explain with `arg` ({uri, position}); the markdown answer opens in a float.
function M.explain_at(arg)
  M.execute("goldcrest.explain", arg, function(result)
    if result == nil or result == vim.NIL then
      return -- nothing to explain there: the server has said so itself
    end
    local text = type(result) == "string" and result or vim.inspect(result)
    if vim.trim(text) == "" then
      echo("Goldcrest: no explanation for this spot")
      return
    end
    M.last_explanation = text
    show_markdown(text)
  end, "explaining")
end

--- `goldcrest doctor` for the current workspace and settings, as an argv list; nil and a
--- message when the server is not found.
function M.doctor_argv()
  local exe, how = M.find_server()
  if not exe then
    return nil, how
  end
  local argv = { exe, "doctor" }
  -- the workspace's goldcrest.toml and the settings apply to the report as to the server
  local client = M.client(0) or clients()[1]
  local root = client and client.config and client.config.root_dir
  if root and root ~= vim.NIL then
    vim.list_extend(argv, { "--workspace", root })
  end
  local settings = strip_nils(M.config.settings or {})
  if next(settings) ~= nil then
    vim.list_extend(argv, { "--settings", vim.fn.json_encode(settings) })
  end
  return argv
end

--- Run `goldcrest doctor` and show the report in a scratch buffer.
function M.doctor()
  local argv, problem = M.doctor_argv()
  if not argv then
    notify(problem, vim.log.levels.ERROR)
    return
  end
  local exe = argv[1]
  local out = {}
  local function collect(_, data)
    for _, line in ipairs(data or {}) do
      table.insert(out, line)
    end
  end
  local ok, job = pcall(vim.fn.jobstart, argv, {
    stdout_buffered = true,
    stderr_buffered = true,
    on_stdout = collect,
    on_stderr = collect,
    on_exit = function(_, code)
      while #out > 0 and out[#out] == "" do
        table.remove(out)
      end
      table.insert(out, 1, "$ " .. table.concat(argv, " "))
      table.insert(out, 2, "")
      if code ~= 0 then
        table.insert(out, "")
        table.insert(out, "(exit code " .. code .. ")")
      end
      vim.schedule(function()
        vim.cmd("botright new")
        local buf = vim.api.nvim_get_current_buf()
        vim.bo[buf].buftype = "nofile"
        vim.bo[buf].bufhidden = "wipe"
        vim.bo[buf].swapfile = false
        pcall(vim.api.nvim_buf_set_name, buf, "goldcrest-doctor")
        vim.api.nvim_buf_set_lines(buf, 0, -1, false, out)
        vim.bo[buf].modifiable = false
        M.last_doctor = out
        fire_user_event("GoldcrestDoctor", { code = code })
      end)
    end,
  })
  if not ok or job <= 0 then
    notify(string.format("could not run %q: install the server with %s", exe, INSTALL), vim.log.levels.ERROR)
    return
  end
  echo("Goldcrest: running doctor…")
  vim.defer_fn(function()
    if vim.fn.jobwait({ job }, 0)[1] == -1 then
      vim.fn.jobstop(job)
      notify("goldcrest doctor took longer than 120 s and was stopped", vim.log.levels.WARN)
    end
  end, 120000)
end

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
      return REFACTOR_KINDS
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
    echo(status_text(M.status))
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
