-- The plugin's commands that call the server's actions through workspace/executeCommand (list
-- bugs, fix, refactor, explain) and `goldcrest doctor`. Installed on the plugin's module by
-- init.lua, whose state (config, last_bugs, last_fix, ...) they read and set.
local U = require("goldcrest.util")

local echo, notify, call = U.echo, U.notify, U.call
local encoding, line_range, cursor_position = U.encoding, U.line_range, U.cursor_position

local REFACTOR_KINDS = { "simplify", "extract_function", "type_hints", "docstring" }

--- Add the commands to `M`; `INSTALL` is the install hint for messages.
return function(M, INSTALL)
  M.REFACTOR_KINDS = REFACTOR_KINDS

  --- The current buffer's goldcrest client and the buffer; nothing (after a warning) without one.
  local function target()
    local client = M.client(0)
    if not client then
      notify("no Goldcrest server for this buffer (filetype " .. vim.bo.filetype .. ")", vim.log.levels.WARN)
      return nil
    end
    return client, vim.api.nvim_get_current_buf()
  end

  --- workspace/executeCommand on the current buffer's server; `on_done(result)` on success.
  function M.execute(command, arg, on_done, label)
    local client, bufnr = target()
    if not client then
      return
    end
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
      if d.source == U.NAME then
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
    local client, bufnr = target()
    if not client then
      return
    end
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
    local client, bufnr = target()
    if not client then
      return
    end
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
    local client, bufnr = target()
    if not client then
      return
    end
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
    local client, bufnr = target()
    if not client then
      return
    end
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
    local client = M.client(0) or U.clients()[1]
    local root = client and client.config and client.config.root_dir
    if root and root ~= vim.NIL then
      vim.list_extend(argv, { "--workspace", root })
    end
    local settings = U.strip_nils(M.config.settings or {})
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
          U.fire_user_event("GoldcrestDoctor", { code = code })
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
end
