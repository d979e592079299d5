-- The test harness of the headless Neovim test (test.lua): the run's environment and folder,
-- shims for newer Neovim, one PASS/FAIL line per check, bounded waits, and the final summary
-- (with what the fake Ollama was asked and the LSP log when anything failed).

local M = {}

--- The test's context `t`: configuration, results and the functions every check file uses.
--- `here` is the folder of test.lua.
function M.new(here)
  local t = {}
  t.HERE = here
  t.PLUGIN = vim.fn.fnamemodify(here, ":h")
  t.CLIENTS = vim.fn.fnamemodify(t.PLUGIN, ":h")
  t.REPO = vim.fn.fnamemodify(t.CLIENTS, ":h")
  t.GOLDCREST = os.getenv("GOLDCREST") or "goldcrest"
  t.PYTHON = os.getenv("PYTHON") or "python3"
  t.REAL = os.getenv("GOLDCREST_BACKEND") == "real"
  t.TOTAL_S = tonumber(os.getenv("GOLDCREST_TEST_TIMEOUT_S") or "240")
  t.MODEL = "qwen2.5-coder:1.5b"

  vim.opt.runtimepath:prepend(t.PLUGIN)
  vim.opt.swapfile = false
  vim.cmd("filetype on") -- -u NONE leaves filetype detection off
  vim.opt.shortmess:append("I")

  -- The test is written against the 0.7 API; the plugin's own shims let it run on newer Neovim
  -- too, where client methods take ':' and get_active_clients is deprecated.
  local util = require("goldcrest.util")
  t.HAS_011 = util.HAS_011
  t.ccall = util.call
  t.all_clients = util.all_clients

  t.results = { passed = 0, failed = 0 }
  -- the LSP log is shared by every run: remember where this run's part starts
  local lsp_log_start = vim.fn.filereadable(vim.lsp.get_log_path()) == 1 and #vim.fn.readfile(vim.lsp.get_log_path()) or 0
  t.tmp = vim.fn.tempname()
  vim.fn.mkdir(t.tmp, "p")
  t.fake_job = nil
  t.client = nil

  function t.out(line)
    -- a leading newline: Neovim's own echoes go to the same stream without one
    io.stdout:write("\n" .. line)
    io.stdout:flush()
  end
  local out = t.out

  function t.finish()
    if t.fake_job then
      pcall(vim.fn.jobstop, t.fake_job)
    end
    for _, c in pairs(t.all_clients()) do
      pcall(t.ccall, c, "stop", true)
    end
    out(string.format("neovim: %d passed, %d failed", t.results.passed, t.results.failed))
    io.stdout:write("\n")
    if t.results.failed > 0 or t.results.passed == 0 then
      local fake_log = t.tmp .. "/fake-ollama.jsonl"
      if vim.fn.filereadable(fake_log) == 1 then
        out("----- what the fake Ollama was asked (path, rule that answered, end of the prompt) -----")
        for _, line in ipairs(vim.fn.readfile(fake_log)) do
          local ok, e = pcall(vim.fn.json_decode, line)
          if ok and type(e) == "table" then
            local body = type(e.body) == "table" and e.body or {}
            local prompt = body.prompt
            if type(body.messages) == "table" and #body.messages > 0 then
              prompt = body.messages[#body.messages].content
            end
            prompt = type(prompt) == "string" and prompt:sub(-100):gsub("\n", "\\n") or ""
            local response = tostring(e.response or ""):sub(1, 60):gsub("\n", "\\n")
            out(string.format("%s rule=%s response=[%s] prompt=...%s", tostring(e.path), tostring(e.rule), response, prompt))
          end
        end
      end
      for _, f in ipairs({ vim.lsp.get_log_path() }) do
        if vim.fn.filereadable(f) == 1 then
          out("----- " .. f .. " (this run, last 40 lines) -----")
          local lines = vim.fn.readfile(f)
          local first = f == vim.lsp.get_log_path() and lsp_log_start + 1 or 1
          for i = math.max(first, #lines - 39), #lines do
            out(lines[i]:sub(1, 600))
          end
        end
      end
      vim.cmd("cquit 1")
    else
      vim.cmd("qall!")
    end
  end

  -- the whole run is bounded
  vim.defer_fn(function()
    out("FAIL overall: took longer than " .. t.TOTAL_S .. " s")
    t.results.failed = t.results.failed + 1
    t.finish()
  end, t.TOTAL_S * 1000)

  function t.check(name, fn)
    local t0 = vim.loop.hrtime()
    local ok, err = xpcall(fn, debug.traceback)
    local secs = (vim.loop.hrtime() - t0) / 1e9
    if ok then
      t.results.passed = t.results.passed + 1
      out(string.format("PASS %s (%.1f s)", name, secs))
    else
      t.results.failed = t.results.failed + 1
      out(string.format("FAIL %s (%.1f s): %s", name, secs, tostring(err)))
    end
    return ok
  end

  function t.wait(ms, cond, what)
    require("goldcrest").last_error = nil
    local ok = vim.wait(ms, function()
      if require("goldcrest").last_error then
        return true
      end
      return cond()
    end, 50)
    local failed = require("goldcrest").last_error
    if failed then
      error(what .. ": " .. failed, 2)
    end
    if not ok then
      error("timed out after " .. ms .. " ms waiting for " .. what, 2)
    end
  end

  return t
end

return M
