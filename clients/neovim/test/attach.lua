-- Headless Neovim test (test.lua): the plugin attaches the real server to a Python buffer, and
-- the server advertises what the plugin uses.

--- Run the checks; false when no client attached (nothing after can run).
return function(t)
  local check, out, tmp, bufnr, goldcrest = t.check, t.out, t.tmp, t.bufnr, t.goldcrest

  check("plugin attaches the server to a python buffer", function()
    assert(vim.bo.filetype == "python", "filetype is " .. vim.bo.filetype)
    t.wait(30000, function()
      t.client = goldcrest.client(bufnr)
      return t.client ~= nil and t.client.server_capabilities ~= nil and next(t.client.server_capabilities) ~= nil
    end, "the goldcrest client to initialize")
    local v = vim.version()
    out(string.format("  (Neovim %d.%d.%d, ", v.major, v.minor, v.patch) .. (type(vim.lsp.config) == "table" and os.getenv("GOLDCREST_NEW_API") ~= "0" and "vim.lsp.config/enable" or "start_client + buf_attach_client") .. ")")
    local client = t.client
    assert(client.config.root_dir == tmp or vim.loop.fs_realpath(client.config.root_dir) == vim.loop.fs_realpath(tmp), "root_dir " .. tostring(client.config.root_dir))
    assert(vim.bo[bufnr].omnifunc == "v:lua.vim.lsp.omnifunc", "omnifunc not set")
  end)

  if not t.client then
    return false
  end

  check("server advertises what the plugin uses", function()
    local caps = t.client.server_capabilities
    local missing = {}
    for _, cap in ipairs({ "completionProvider", "hoverProvider", "codeActionProvider", "executeCommandProvider", "inlineCompletionProvider" }) do
      if not caps[cap] then
        table.insert(missing, cap)
      end
    end
    local commands = caps.executeCommandProvider and caps.executeCommandProvider.commands or {}
    for _, c in ipairs({ "goldcrest.listBugs", "goldcrest.fix", "goldcrest.refactor", "goldcrest.explain" }) do
      if not vim.tbl_contains(commands, c) then
        table.insert(missing, c)
      end
    end
    assert(#missing == 0, "missing: " .. table.concat(missing, ", "))
  end)
  return true
end
