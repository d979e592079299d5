-- :checkhealth goldcrest — is the server there (and which version), which backend will answer,
-- is the model file verified, what this Neovim offers the plugin.
--
-- The backend part runs `goldcrest doctor` with the plugin's settings (the same report as
-- :GoldcrestDoctor) and reads its lines: "[ok ] NAME: model ...", the detail line under it
-- ("model file PATH" for the embedded model) and "Goldcrest will use: NAME (MODEL)".
local M = {}

local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local info = health.info or health.report_info
local warn = health.warn or health.report_warn
local fail = health.error or health.report_error

local DOCTOR_TIMEOUT_MS = 180000

--- Run argv, return (exit code, output lines); code -1 when it took longer than timeout_ms.
local function run(argv, timeout_ms)
  local lines = {}
  local function collect(_, data)
    for _, line in ipairs(data or {}) do
      if line ~= "" then
        table.insert(lines, line)
      end
    end
  end
  local job = vim.fn.jobstart(argv, { stdout_buffered = true, stderr_buffered = true, on_stdout = collect, on_stderr = collect })
  if job <= 0 then
    return -2, { "could not run " .. argv[1] }
  end
  local code = vim.fn.jobwait({ job }, timeout_ms)[1]
  if code == -1 then
    vim.fn.jobstop(job)
  end
  return code, lines
end

--- The doctor's report, read: backends { name = {ok, model, detail, remedy} }, chosen, problems.
function M.parse_doctor(lines)
  local report = { backends = {}, problems = {}, chosen = nil, verdict = nil }
  local current = nil
  for _, line in ipairs(lines) do
    local mark, name, model = line:match("^%[(%a+)%s*%] ([%w_%-]+): model (.-) %(")
    if mark then
      current = { ok = mark == "ok", model = model, detail = nil, remedy = nil }
      report.backends[name] = current
    elseif current and line:match("^%s+to fix: ") then
      current.remedy = line:match("^%s+to fix: (.*)")
    elseif current and current.detail == nil and line:match("^%s+%S") then
      current.detail = vim.trim(line)
    end
    local problem = line:match("^%s+! (.*)")
    if problem then
      table.insert(report.problems, problem)
    end
    local chosen = line:match("^Goldcrest will use: (.*)")
    if chosen then
      report.chosen = chosen
    elseif line:match("^The configured backend") or line:match("^Goldcrest has no usable model") then
      report.verdict = line
    end
  end
  return report
end

local function check_neovim()
  start("Neovim")
  local v = vim.version()
  local version = string.format("%d.%d.%d", v.major, v.minor, v.patch)
  if vim.fn.has("nvim-0.7") == 1 then
    ok("Neovim " .. version .. ": built-in LSP client, code actions, hover, diagnostics, completion items")
  else
    fail("Neovim " .. version .. " is too old: the plugin needs 0.7 or newer")
  end
  if type(vim.lsp.config) == "table" and type(vim.lsp.enable) == "function" then
    ok("vim.lsp.config / vim.lsp.enable (0.11+): the plugin registers through them")
  else
    info("vim.lsp.config / vim.lsp.enable need Neovim 0.11: the plugin starts the client itself")
  end
  if vim.lsp.inline_completion and vim.lsp.inline_completion.enable then
    ok("vim.lsp.inline_completion (0.12+): ghost text")
  else
    info("No ghost text before Neovim 0.12 (vim.lsp.inline_completion): completion items through omnifunc / nvim-cmp instead")
  end
end

--- Returns the server path when found.
local function check_server(goldcrest)
  start("Goldcrest server")
  local exe, how = goldcrest.find_server()
  if not exe then
    fail(how)
    return nil
  end
  ok("found " .. exe .. " (via " .. how .. ")")
  local code, lines = run({ exe, "--version" }, 30000)
  local version = lines[1] or ""
  if code == 0 and version:match("^goldcrest ") then
    ok(version)
  else
    fail(string.format("`%s --version` failed (exit %d): %s", exe, code, table.concat(lines, " ")))
  end
  local running = #vim.tbl_filter(function(c)
    return c.name == "goldcrest"
  end, vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients())
  if running > 0 then
    ok("a goldcrest client is running" .. (goldcrest.status and (" (" .. goldcrest.statusline() .. ")") or ""))
  else
    info("no goldcrest client is running (open a file of one of the configured filetypes)")
  end
  return exe
end

--- (Only once the server was found, so doctor_argv() has an argv.)
local function check_backend(goldcrest)
  start("Goldcrest backend (goldcrest doctor)")
  local code, lines = run(goldcrest.doctor_argv(), DOCTOR_TIMEOUT_MS)
  if code == -1 then
    fail("goldcrest doctor took longer than " .. DOCTOR_TIMEOUT_MS / 1000 .. " s")
    return
  end
  local report = M.parse_doctor(lines)
  for _, p in ipairs(report.problems) do
    warn("settings: " .. p)
  end
  if report.chosen then
    ok(report.chosen .. " will answer")
  else
    fail(report.verdict or ("no backend can answer; goldcrest doctor said:\n" .. table.concat(lines, "\n")))
  end
  for name, b in pairs(report.backends) do
    if not b.ok then
      info(string.format("%s cannot answer: %s%s", name, b.detail or "?", b.remedy and (" — to fix: " .. b.remedy) or ""))
    end
  end
  -- the embedded model: assembled from its slices and checked against its SHA-256 once; the
  -- marker beside the file records that check
  local embedded = report.backends.embedded
  local path = embedded and embedded.ok and embedded.detail and embedded.detail:match("^model file (.+)$")
  if path then
    local marker = path:gsub("%.gguf$", ".verified")
    if marker ~= path and vim.fn.filereadable(marker) == 1 then
      ok("embedded model file verified (size and SHA-256): " .. path)
    else
      info("embedded model file " .. path .. " (a configured file: Goldcrest does not check its hash)")
    end
  elseif embedded then
    warn("embedded model unusable: " .. (embedded.detail or "?") .. (embedded.remedy and (" — to fix: " .. embedded.remedy) or ""))
  end
end

function M.check()
  local goldcrest = require("goldcrest")
  check_neovim()
  if check_server(goldcrest) then
    check_backend(goldcrest)
  end
end

return M
